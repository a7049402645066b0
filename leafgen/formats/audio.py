"""Audio: an MP3 per leaflet with a chapter per section, synthesised offline by espeak-ng
(a process per utterance, speech read from a pipe), encoded in-process with lameenc, tagged (ID3v2 CHAP/CTOC) with mutagen.

Speech is made per utterance and cached by the digest of (text, voice, rate, engine
version), so text the councils share is synthesised once and an edit re-synthesises
only what changed."""
from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

import lameenc
from mutagen.id3 import CHAP, CTOC, ID3, TALB, TIT2, TLAN, TPE1, CTOCFlags

from leafgen.formats import RenderContext
from leafgen.languages import LANGUAGES
from leafgen.model import Document
from leafgen.output import write_atomic
from leafgen.spoken import Utterance, chapters, introduction

RATE = 22050      # espeak-ng's output: mono, 16-bit
BITRATE = 64      # kbps, mono: clear speech, small files
# Part of every cached utterance's key: bump it when the way speech is made changes.
SYNTHESIS_VERSION = "espeak-ng-stdout-1"


class AudioError(Exception):
    pass


def voice_of(lang: str) -> str:
    voice = LANGUAGES[lang].voice
    if voice is None:
        raise AudioError(LANGUAGES[lang].no_voice or f"no voice for {lang}")
    return voice


def render(doc: Document, ctx: RenderContext) -> bytes:
    wpm = int(ctx.options.get("rate", 155))
    cache = Path(ctx.options.get("cache") or tempfile.gettempdir()) / "speech"
    with Speaker(voice_of(doc.lang), wpm, cache) as speak:
        return _render(doc, speak)


def _render(doc: Document, speak: "Speaker") -> bytes:
    body: list[bytes] = []
    marks: list[tuple[str, int, int]] = []  # (title, start ms, end ms) relative to the body
    position = 0
    for chapter in chapters(doc):
        start = position
        for utterance in chapter.utterances:
            pcm = speak(utterance)
            body.append(pcm)
            position += len(pcm)
        marks.append((chapter.title, _ms(start), _ms(position)))
    end = speak(Utterance(doc.label("End of the leaflet."), 0))
    minutes = max(1, round((position + len(end)) / 2 / RATE / 60))
    intro = b"".join(speak(u) for u in introduction(doc, minutes))
    pcm = intro + b"".join(body) + end
    offset = _ms(len(intro))
    return _tagged(_encode(pcm), doc, [(t, s + offset, e + offset) for t, s, e in marks], _ms(len(pcm)))


def _ms(pcm_bytes: int) -> int:
    return round(pcm_bytes / 2 / RATE * 1000)


class Speaker:
    """Speech for one voice and rate, from the cache or from espeak-ng.

    Each utterance is synthesised by a fresh espeak-ng process: espeak-ng keeps state
    between utterances in one process (measured: the same text spoken twice in a row
    differs from sample 2001 on), which would make the audio depend on what was cached
    before. A fresh engine says a text the same way every time. (Through pyttsx3 it also
    sometimes handed back cut-short speech, which two clean builds then disagreed on.)"""

    def __init__(self, voice: str, wpm: int, cache: Path) -> None:
        self.voice, self.wpm, self.cache = voice, wpm, cache

    def __enter__(self) -> "Speaker":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __call__(self, utterance: Utterance) -> bytes:
        """16-bit mono PCM of the text (in its own language's voice, if it has one)
        followed by its pause."""
        voice = voice_of(utterance.lang) if utterance.lang else self.voice
        speech = self.speech(utterance.text, keep=not utterance.private, voice=voice)
        return speech + b"\0\0" * (RATE * utterance.pause_ms // 1000)

    def key(self, text: str, voice: str | None = None) -> str:
        material = "\n".join([text, voice or self.voice, str(self.wpm), engine_version(),
                              SYNTHESIS_VERSION])
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def speech(self, text: str, keep: bool = True, voice: str | None = None) -> bytes:
        """The text's speech, from the cache or made (and cached only if keep: a family's
        details must never be written to disk)."""
        key = self.key(text, voice)
        path = self.cache / key[:2] / f"{key}.pcm"
        if keep and path.exists():
            return path.read_bytes()
        pcm = _synthesise(text, voice or self.voice, self.wpm)
        if keep:
            write_atomic(path, pcm)
        return pcm


@lru_cache(maxsize=1)
def engine_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


@lru_cache(maxsize=1)
def _voices() -> frozenset[str]:
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True)
    return frozenset(line.split()[4] for line in out.stdout.splitlines()[1:] if len(line.split()) > 4)


def _synthesise(text: str, voice: str, wpm: int) -> bytes:
    """One utterance to 16-bit mono PCM from a fresh espeak-ng, its WAV read from a pipe.
    The text goes in on stdin, never on a command line (where any local user's `ps`
    would show a family's details), and no file is written anywhere."""
    if voice not in _voices():
        raise AudioError(f"espeak-ng has no voice '{voice}' (Debian package espeak-ng-data)")
    done = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout"],
                          input=text.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        raise AudioError(f"espeak-ng failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    try:  # a streamed WAV: its header cannot know the length, so read what came
        with wave.open(io.BytesIO(done.stdout), "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
                raise AudioError(f"unexpected WAV format from espeak-ng: {w.getparams()}")
            pcm = w.readframes(w.getnframes())
    except (EOFError, wave.Error) as e:
        raise AudioError(f"espeak-ng gave no readable speech ({e})") from None
    if not pcm:
        raise AudioError(f"espeak-ng gave no speech for '{text[:50]}'")
    return pcm[:len(pcm) // 2 * 2]


def _encode(pcm: bytes) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)  # fast; speech at 64 kbps loses nothing audible (quality 2 is 3.6x slower)
    return bytes(encoder.encode(pcm) + encoder.flush())


def _tagged(mp3: bytes, doc: Document, marks: list[tuple[str, int, int]], total_ms: int) -> bytes:
    """ID3v2 title, album, artist, language, and one chapter per section (CHAP) listed in
    order by a table of contents (CTOC)."""
    tags = ID3()
    tags.add(TIT2(encoding=3, text=f"{doc.title} – {doc.authority_name}"))
    tags.add(TALB(encoding=3, text=doc.title))
    tags.add(TPE1(encoding=3, text=doc.authority_name))
    tags.add(TLAN(encoding=3, text=LANGUAGES[doc.lang].iso639_2))
    ids = [f"chp{n:03d}" for n in range(1, len(marks) + 1)]  # ID3 frames are written in id order
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                  child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=doc.title)]))
    for element_id, (title, start, end) in zip(ids, sorted(marks, key=lambda m: m[1])):
        tags.add(CHAP(element_id=element_id, start_time=start, end_time=min(end, total_ms),
                      start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                      sub_frames=[TIT2(encoding=3, text=title)]))
    out = io.BytesIO(mp3)
    tags.save(out, v2_version=4, padding=lambda info: 0)
    return _chapters_in_time_order(out.getvalue())


def _chapters_in_time_order(data: bytes) -> bytes:
    """mutagen orders frames by size; players expect CHAP frames by start time. Reorder
    them in place (an ID3v2.4 tag: 10-byte header, frames of 10-byte header + body)."""
    assert data[:3] == b"ID3" and data[3] == 4
    size = _syncsafe(data[6:10])
    frames, pos = [], 10
    while pos + 10 <= 10 + size and data[pos:pos + 4].strip(b"\0"):
        length = _syncsafe(data[pos + 4:pos + 8])
        frames.append(data[pos:pos + 10 + length])
        pos += 10 + length
    chaps = [f for f in frames if f[:4] == b"CHAP"]

    def start(frame: bytes) -> int:
        body = frame[10:]
        at = body.index(b"\0") + 1  # after the element id
        return int.from_bytes(body[at:at + 4], "big")

    ordered = iter(sorted(chaps, key=start))
    frames = [next(ordered) if f[:4] == b"CHAP" else f for f in frames]
    return data[:10] + b"".join(frames) + data[pos:]


def _syncsafe(four: bytes) -> int:
    return (four[0] << 21) | (four[1] << 14) | (four[2] << 7) | four[3]
