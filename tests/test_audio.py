"""Audio: the spoken script, the MP3 (duration, chapters, silences, tags) in every
language, the voice checks, and the segment cache."""
from __future__ import annotations

import array
import dataclasses
import hashlib
import io
import re
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from scipy.signal import resample_poly

from leafgen.formats import audio
from leafgen.languages import LANGUAGES
from leafgen.spoken import (PAUSE, Utterance, chapters, introduction, say_address, say_phone,
                            script_text)
from tests.conftest import make_project, run
from tests.test_pdf import documents

RATE_WPM = 155
VOICED = [code for code in LANGUAGES if LANGUAGES[code].voice]  # the others have no MP3


def mp3_path(built: Path, lang: str, council: str = "bolton") -> Path:
    return built / council / "child-protection-conference" / lang / "child-protection-conference.mp3"


def test_phone_numbers_are_read_digit_by_digit_in_groups() -> None:
    assert say_phone("01204 337400", "en") == "oh one two oh four, three three seven, four oh oh"
    assert say_phone("0808 800 5000", "en") == "oh eight oh eight, eight oh oh, five oh oh oh"
    assert say_phone("01204 337400", "ur") == "0 1 2 0 4, 3 3 7, 4 0 0"  # the voice says each digit


def test_emails_and_web_addresses_are_spelled_out() -> None:
    doc = documents()["bath-ne-somerset", "en"]
    assert say_address("Safeguarding_AdministrationTeam@bathnes.gov.uk", doc) == \
        "Safeguarding underscore AdministrationTeam at bathnes dot gov dot uk"
    assert say_address("www.londoncpc.gov.uk/procedures", doc) == \
        "w w w dot londoncpc dot gov dot uk slash procedures"
    ur = documents()["bolton", "ur"]
    assert say_address("help@nspcc.org", ur) == f"help {ur.label('at')} nspcc {ur.label('dot')} org"


def test_the_script_opens_with_title_council_time_and_sections() -> None:
    doc = documents()["bolton", "en"]
    lines = script_text(doc, 12).splitlines()
    assert lines[0] == "This is the audio version of Child protection conferences, from Bolton Council."
    assert lines[1] == "It lasts about 12 minutes."
    assert lines[2] == "To move between sections, use your player's next and previous chapter buttons."
    assert lines[3] == f"It has {len(doc.sections)} sections:"
    assert lines[4:4 + len(doc.sections)] == [s.heading for s in doc.sections]
    assert "Telephone: oh one two oh four, three three seven, four oh oh." in lines
    assert lines[-1] == "End of the leaflet."
    # Each chapter starts with its heading and ends with the long pause between sections.
    for chapter, section in zip(chapters(doc), doc.sections):
        assert chapter.utterances[0].text == section.heading
        assert chapter.utterances[-1].pause_ms == PAUSE["section"]


def decoded_levels(path: Path, rate: int = 8000) -> array.array:
    raw = subprocess.run(["sox", str(path), "-t", "raw", "-e", "signed", "-b", "16", "-c", "1",
                          "-r", str(rate), "-"], capture_output=True, check=True).stdout
    return array.array("h", raw)


def longest_silence(samples: array.array, rate: int = 8000, threshold: int = 330) -> float:
    """Longest run of 50 ms windows whose peak is under about 1% of full scale, in seconds."""
    window = rate // 20
    longest = run_ = 0
    for start in range(0, len(samples), window):
        chunk = samples[start:start + window]
        if max(chunk, default=0) < threshold and -min(chunk, default=0) < threshold:
            run_ += 1
            longest = max(longest, run_)
        else:
            run_ = 0
    return longest / 20


@pytest.mark.parametrize("lang", VOICED)
def test_mp3_in_every_language(built: Path, lang: str) -> None:
    path = mp3_path(built, lang)
    doc = documents()["bolton", lang]
    info = MP3(path).info
    assert info.channels == 1 and info.bitrate >= 48000 and info.sample_rate == 22050
    duration = info.length
    # Duration fits the words at the set rate (pauses are known and taken out).
    words = len(script_text(doc, 10).split())
    pauses = (sum(u.pause_ms for c in chapters(doc) for u in c.utterances)
              + sum(u.pause_ms for u in introduction(doc, 10))) / 1000
    wpm = words / ((duration - pauses) / 60)
    # (Long words speak slowly in words a minute: Turkish measured 93 at the rate of 155.)
    assert 0.5 * RATE_WPM <= wpm <= 1.6 * RATE_WPM, wpm
    # Tags and chapters: one per section, in order, inside the running time.
    tags = ID3(path)
    assert tags.getall("TIT2")[0].text == [f"{doc.title} – Bolton Council"]
    assert tags.getall("TALB")[0].text == [doc.title]
    assert tags.getall("TPE1")[0].text == ["Bolton Council"]
    assert tags.getall("TLAN")[0].text == [LANGUAGES[lang].iso639_2]
    chaps = tags.getall("CHAP")
    # the introduction (UKAAF: title, originator, running time, how to move) is a chapter
    assert [c.sub_frames.getall("TIT2")[0].text[0] for c in chaps] == \
        [doc.title] + [s.heading for s in doc.sections]
    starts = [c.start_time for c in chaps]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert starts[0] == 0 and all(c.end_time <= duration * 1000 + 50 for c in chaps)
    assert [c.end_time for c in chaps[:-1]] == starts[1:]
    assert abs(chaps[-1].end_time - duration * 1000) < 30
    toc = tags.getall("CTOC")[0]
    assert toc.child_element_ids == [c.element_id for c in chaps]
    # No silence longer than 3 seconds anywhere.
    assert longest_silence(decoded_levels(path)) <= 3.0


def test_a_missing_voice_is_a_build_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LANGUAGES, "en", dataclasses.replace(LANGUAGES["en"], voice="zzz/none"))
    result = run("--project", make_project(tmp_path / "p"), "build", "--format", "mp3",
                 "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "mp3 failed: AudioError: espeak-ng has no voice 'zzz/none'" in result.stdout


def test_speech_is_whole_and_the_same_every_time(tmp_path: Path) -> None:
    """Each synthesis is a fresh espeak-ng whose WAV comes through a pipe: the same text
    gives the same samples every time, and all of them (the same as the program writing
    its own file, which pyttsx3's early returns could cut short)."""
    text = "Call 0 1 2 0 4, 3 3 7, 4 0 0 before the conference."
    first = audio._synthesise(text, "gmw/en", 155)
    assert first == audio._synthesise(text, "gmw/en", 155)
    # a paragraph too: its speech spans many of the server's synthesis buffers
    paragraph = " ".join(f"Point {n}: the conference decides whether a plan is needed." for n in range(6))
    for said, seconds in ((text, 2.0), (paragraph, 20.0)):
        wav = tmp_path / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "gmw/en", "-s", "155", "-w", str(wav), said], check=True)
        with wave.open(str(wav), "rb") as w:
            assert audio._synthesise(said, "gmw/en", 155) == w.readframes(w.getnframes())
        assert w.getnframes() / audio.RATE > seconds  # the whole text


def test_an_edit_resynthesises_only_what_changed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project / "leafgen.yaml").write_text("cache_dir: speech-cache\n")
    out = tmp_path / "o"
    assert run("--project", project, "build", "--format", "mp3", "--out", out).exit_code == 0
    cached = set((project / "speech-cache").rglob(f"*{audio.PIECE}"))
    assert len(cached) > 10
    # The same text for a second council is not synthesised again.
    other = (project / "authorities/testshire.yaml").read_text().replace("testshire", "otherton")
    (project / "authorities/otherton.yaml").write_text(other.replace("Testshire", "Otherton"))
    assert run("--project", project, "build", "--format", "mp3", "--out", out).exit_code == 0
    shared = set((project / "speech-cache").rglob(f"*{audio.PIECE}")) - cached
    assert 0 < len(shared) < len(cached) // 2  # only Otherton's own names and contacts
    # Editing one paragraph re-synthesises that paragraph and nothing else.
    leaflet = project / "leaflets/demo/leaflet.yaml"
    leaflet.write_text(leaflet.read_text().replace("Ask your social worker.", "Ask your social worker today."))
    before = set((project / "speech-cache").rglob(f"*{audio.PIECE}"))
    assert run("--project", project, "build", "--format", "mp3", "--out", out).exit_code == 0
    new = set((project / "speech-cache").rglob(f"*{audio.PIECE}")) - before
    assert len(new) == 1


def test_speech_is_the_same_whatever_was_cached_before(tmp_path: Path) -> None:
    """Two builds from empty caches give identical MP3s: each utterance comes from a fresh
    engine and is checked against a second synthesis (in one process, espeak-ng's output
    for a text depends on what it said before, and pyttsx3 sometimes cuts it short)."""
    project = make_project(tmp_path / "p")
    outputs = []
    for n in (1, 2):
        (project / "leafgen.yaml").write_text(f"cache_dir: cache{n}\n")
        out = tmp_path / f"o{n}"
        assert run("--project", project, "build", "--format", "mp3", "--out", out).exit_code == 0
        data = (out / "testshire/demo/en/demo.mp3").read_bytes()
        outputs.append((len(data), hashlib.sha256(data).hexdigest()))  # a cheap diff if not
    assert outputs[0] == outputs[1]


def _samples(path: Path) -> "np.ndarray":
    raw = subprocess.run(["sox", str(path), "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768


@pytest.mark.parametrize("lang", VOICED)
def test_loudness_is_on_target_in_every_language(built: Path, lang: str) -> None:
    """EBU R128 / AES speech: integrated loudness within 1 LU of -19 LUFS, true peak (4x
    oversampled) at most -1 dBTP, measured on the decoded MP3."""
    x = _samples(mp3_path(built, lang))
    loudness = pyloudnorm.Meter(audio.RATE).integrated_loudness(x)
    true_peak = 20 * np.log10(np.max(np.abs(resample_poly(x, 4, 1))))
    assert abs(loudness - audio.TARGET_LUFS) <= 1.0, loudness
    assert true_peak <= audio.MAX_TRUE_PEAK, true_peak


def _phonemes(texts: list[str], voice: str) -> int:
    said = subprocess.run(["espeak-ng", "-q", "-x", "--sep=_", "-v", voice], input="\n".join(texts),
                          capture_output=True, text=True, check=True).stdout
    return len([p for p in re.split(r"[_\s]+", said) if p.strip("'`,;")])


@pytest.mark.parametrize("lang", ["en", "ur", "bn"])
def test_each_chapter_lasts_as_long_as_the_text_it_speaks(built: Path, lang: str) -> None:
    """A dropped or cut-short utterance makes its chapter short for its text: each
    chapter's speaking time (its length less its pauses and each piece's encoder frames)
    per phoneme (espeak-ng's own count) is within a third of the others'."""
    doc = documents()["bolton", lang]
    voice = audio.voice_of(lang)
    intro = introduction(doc, 10)
    said = [intro] + [list(c.utterances) for c in chapters(doc)]
    said[-1] = said[-1] + [Utterance(doc.label("End of the leaflet."), 0)]
    chaps = ID3(mp3_path(built, lang)).getall("CHAP")
    assert len(chaps) == len(said)
    overhead_ms = 2 * audio.FRAME / audio.RATE * 1000  # an encoder's delay and last frame
    rates = []
    for chap, utterances in zip(chaps, said):
        pauses = sum(u.pause_ms for u in utterances) + overhead_ms * len(utterances)
        speaking = chap.end_time - chap.start_time - pauses
        rates.append(speaking / _phonemes([u.text for u in utterances], voice))
    median = sorted(rates)[len(rates) // 2]
    assert all(0.67 * median <= r <= 1.5 * median for r in rates), (median, rates)


def test_family_details_lengthen_the_mp3_by_exactly_their_speech(tmp_path: Path) -> None:
    """The personalised MP3 is the plain one with the private pieces in place of the
    blanks: longer by exactly their difference in frames (nothing dropped, nothing added)."""
    from leafgen.pack import Family, with_family
    doc = documents()["bolton", "en"]
    family = with_family(doc, Family(social_worker_name="Sam Smith",
                                     social_worker_phone="07700 900123"))
    speaker = audio.Speaker(audio.voice_of("en"), RATE_WPM, tmp_path / "cache")
    plain, personal = (audio._render(d, speaker) for d in (doc, family))
    before = [u for c in chapters(doc) for u in c.utterances]
    after = [u for c in chapters(family) for u in c.utterances]
    changed = [(x, y) for x, y in zip(before, after, strict=True) if x != y]
    assert [y.private for _, y in changed] == [True, True]
    extra = sum(audio.frames(speaker(y)) - audio.frames(speaker(x)) for x, y in changed)
    assert extra > 0
    intro = [ID3(io.BytesIO(mp3)).getall("CHAP")[0].end_time for mp3 in (plain, personal)]
    assert intro[0] == intro[1]  # the same running time said
    assert audio.frames(_audio_frames(personal)) - audio.frames(_audio_frames(plain)) == extra


def test_the_pyttsx3_engine_says_every_sentence_whole_on_a_busy_machine() -> None:
    """pyttsx3's espeak driver speaks on its own thread and cancels whatever that thread
    is still doing when it starts: a sentence said while the last one is still being
    tidied up, or while the rate is still being set, came back empty (about 3 in 100
    with the cores busy). Here the cores are busy, and every one of 300 must be whole."""
    sentence = "Ask your social worker."
    busy = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(3)]
    try:
        said = [audio._synthesise_pyttsx3(sentence, "gmw/en", RATE_WPM) for _ in range(300)]
    finally:
        for process in busy:
            process.kill()
            process.wait()
    whole = len(audio._synthesise(sentence, "gmw/en", RATE_WPM))
    assert whole > audio.RATE * 2  # over a second of 16-bit speech
    assert all(0.9 < len(pcm) / whole < 1.1 for pcm in said)  # it varies by a few samples


def _audio_frames(mp3: bytes) -> bytes:
    """The MPEG frames of a tagged MP3 (after its ID3v2 tag)."""
    size = (mp3[6] << 21) | (mp3[7] << 14) | (mp3[8] << 7) | mp3[9]
    return mp3[10 + size:]


def test_the_pyttsx3_engine_speaks_whole_sentences_quietly(tmp_path: Path,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    """speech_engine: pyttsx3 (the operating system's voices; here its espeak driver):
    the whole sentence (as long as espeak-ng's own), nothing printed, nothing written."""
    text = "A child protection conference is a meeting about your child."
    before = set(Path(tempfile.gettempdir()).iterdir())
    pcm = audio._synthesise_pyttsx3(text, "gmw/en", RATE_WPM)
    reference = audio._synthesise(text, "gmw/en", RATE_WPM)
    assert 0.9 < len(pcm) / len(reference) < 1.1
    assert capfd.readouterr().out == ""
    assert set(Path(tempfile.gettempdir()).iterdir()) == before
    project = make_project(tmp_path / "p")
    (project / "leafgen.yaml").write_text("speech_engine: pyttsx3\n")
    result = run("--project", project, "build", "--lang", "en", "--format", "mp3",
                 "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "Audio saved" not in result.output + capfd.readouterr().out
    assert MP3(tmp_path / "o/testshire/demo/en/demo.mp3").info.length > 20
