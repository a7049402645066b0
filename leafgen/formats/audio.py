"""Audio: an MP3 per leaflet with a chapter per section, synthesised offline by espeak-ng
through pyttsx3, encoded in-process with lameenc, tagged (ID3v2 CHAP/CTOC) with mutagen.

Speech is made per utterance and cached by the digest of (text, voice, rate, engine
version), so text the councils share is synthesised once and an edit re-synthesises
only what changed."""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import multiprocessing
import multiprocessing.pool
import os
import subprocess
import tempfile
import time
import wave
from functools import lru_cache
from pathlib import Path
from typing import Any

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
SYNTHESIS_VERSION = "fresh-engine-agreed-2"


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
    """Speech for one voice and rate, from the cache or from espeak-ng via pyttsx3.

    Each utterance is synthesised in a fresh process: espeak-ng keeps state between
    utterances in one process (measured: the same text spoken twice in a row differs
    from sample 2001 on), which would make the audio depend on what was cached before.
    The first utterance of a fresh engine is the same every time, and the same as the
    espeak-ng program's."""

    def __init__(self, voice: str, wpm: int, cache: Path) -> None:
        self.voice, self.wpm, self.cache = voice, wpm, cache
        self._pool: multiprocessing.pool.Pool | None = None

    def __enter__(self) -> "Speaker":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool:
            self._pool.close()
            self._pool.join()

    def __call__(self, utterance: Utterance) -> bytes:
        """16-bit mono PCM of the text followed by its pause."""
        speech = self.speech(utterance.text, keep=not utterance.private)
        return speech + b"\0\0" * (RATE * utterance.pause_ms // 1000)

    def key(self, text: str) -> str:
        material = "\n".join([text, self.voice, str(self.wpm), engine_version(), SYNTHESIS_VERSION])
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def speech(self, text: str, keep: bool = True) -> bytes:
        """The text's speech, from the cache or made (and cached only if keep: a family's
        details must never be written to disk)."""
        path = self.cache / self.key(text)[:2] / f"{self.key(text)}.pcm"
        if keep and path.exists():
            return path.read_bytes()
        if self._pool is None:  # forked: cheap, and a new espeak-ng for every utterance
            # One at a time: two syntheses run side by side were seen to agree on the same
            # cut-short speech (two clean builds then differed), so they are made in turn.
            self._pool = multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1)
        # pyttsx3 can also hand back a well-formed but incomplete WAV (measured: 1 utterance
        # in 20 cut short). Complete speech from a fresh engine is always the same, so two
        # syntheses that agree are complete; disagreeing ones are made again.
        for _ in range(5):
            first, second = (self._pool.apply(_synthesise, (text, self.voice, self.wpm))
                             for _ in range(2))
            if first == second:
                if keep:
                    write_atomic(path, first)
                return first
        raise AudioError(f"speech for '{text[:50]}' came out different every time: "
                         "espeak-ng's output is incomplete")


@lru_cache(maxsize=1)
def engine_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


@lru_cache(maxsize=1)
def _engine() -> Any:  # a pyttsx3.Engine; pyttsx3 is untyped
    import pyttsx3  # heavy: imported only when audio is made
    engine = pyttsx3.init("espeak")
    engine.connect("finished-utterance", lambda name, completed: _finished.append(completed))
    # Let go of the engine while Python is still whole: pyttsx3's driver fails in __del__
    # (printing a traceback) if it is collected during interpreter shutdown.
    atexit.register(_engine.cache_clear)
    return engine


_finished: list[bool] = []


@lru_cache(maxsize=16)
def _check_voice(voice: str) -> None:
    if voice not in {v.id for v in _engine().getProperty("voices")}:
        raise AudioError(f"espeak-ng has no voice '{voice}' (Debian package espeak-ng-data)")


def _synthesise(text: str, voice: str, wpm: int) -> bytes:
    """One utterance to PCM. pyttsx3 can return from runAndWait() before the WAV is
    complete (pyttsx3 #219) and ignores unknown voices silently: wait for the utterance
    to finish, check the voice took, and check the file before using it."""
    _check_voice(voice)
    engine = _engine()
    with tempfile.TemporaryDirectory(prefix="leafgen-tts-") as folder:
        path = Path(folder) / "speech.wav"
        for attempt in range(3):
            _finished.clear()
            engine.setProperty("voice", voice)
            engine.setProperty("rate", wpm)
            with contextlib.redirect_stdout(io.StringIO()):  # the driver prints "Audio saved"
                engine.save_to_file(text, str(path))
                engine.runAndWait()
            if engine.getProperty("voice") != voice:
                raise AudioError(f"espeak-ng did not switch to voice '{voice}'")
            pcm = _complete_wav(path)
            if _finished and pcm:
                return pcm
            time.sleep(0.05 * (attempt + 1))
    raise AudioError(f"speech for '{text[:50]}' was empty or incomplete after 3 attempts")


def _complete_wav(path: Path) -> bytes | None:
    """The PCM of a finished WAV, or None if the file is missing, empty or still short
    after 2 s (a loaded machine can take that long to flush it; a healthy one does not)."""
    for _ in range(200):
        try:
            with wave.open(str(path), "rb") as w:
                if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
                    raise AudioError(f"unexpected WAV format from espeak-ng: {w.getparams()}")
                frames = w.getnframes()
                pcm = w.readframes(frames)
            if frames > 0 and len(pcm) == frames * 2 and os.path.getsize(path) >= 44 + frames * 2:
                return pcm
        except (OSError, EOFError, wave.Error):
            pass
        time.sleep(0.01)
    return None


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
