"""Audio: an MP3 per leaflet, an introduction chapter then a chapter per section,
synthesised offline by libespeak-ng (a fresh engine per utterance, see espeak_server),
brought to a speech loudness target, encoded in-process with lameenc, tagged (ID3v2
CHAP/CTOC) with mutagen.

Each utterance (its speech and the pause after it) is made and encoded on its own, as
whole MP3 frames, and cached by the digest of what makes it (text, voice, rate, engine
and this module's versions): text the councils and languages share is synthesised and
encoded once, an edit remakes only what changed, and the MP3 is the pieces joined at
frame boundaries, the same bytes every time. A family's details are never cached."""
from __future__ import annotations

import hashlib
import io
import math
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import lameenc
from mutagen.id3 import CHAP, CTOC, ID3, TALB, TIT2, TLAN, TPE1, CTOCFlags

from leafgen.formats import RenderContext
from leafgen.languages import LANGUAGES
from leafgen.model import Document
from leafgen.output import write_atomic
from leafgen.spoken import Utterance, chapters, closing, introduction

RATE = 22050      # espeak-ng's output: mono, 16-bit
BITRATE = 64      # kbps, mono: clear speech, small files
FRAME = 576       # samples in an MPEG-2 layer III frame (22.05 kHz)
# Loudness (EBU R128 / AES for speech, mono): each file at -19 LUFS, true peak at most -1 dBTP.
TARGET_LUFS = -19.0
MAX_TRUE_PEAK = -1.0
LIMIT_FROM, LIMIT_TO = -6.0, -2.0  # dBFS: the soft limiter's knee and where it levels off
# Each piece aims half a decibel higher: measured, pieces at -19 LUFS made files at -19.5
# (blocks that span a pause and the next piece lower the file's gated mean).
PIECE_TARGET = TARGET_LUFS + 0.5
# Part of every cached piece's key: bump it when the way speech is made or encoded changes.
SYNTHESIS_VERSION = "libespeak-ng-fork-1/ebur128-18.5-pad450-limit6to2/lame-64k-q7-frames-nopause"
PIECE = ".mp3"    # a cached piece: whole MP3 frames
MP3_FRAME_START = b"\xff\xf3"  # MPEG-2 layer III, no CRC: how every piece begins
FRAME_HEADER_RATES = 0b1000_00  # a frame header's bitrate (64 kbps) and sampling rate (22.05 kHz) bits
FRAME_BYTES = 72 * BITRATE * 1000 // RATE  # 208, and one more for a frame with padding
MEASURED_PAUSE = RATE * 450 // 1000  # samples: a paragraph's pause, measured with each piece


class AudioError(Exception):
    pass


def voice_of(lang: str) -> str:
    voice = LANGUAGES[lang].voice
    if voice is None:
        raise AudioError(LANGUAGES[lang].no_voice or f"no voice for {lang}")
    return voice


def render(doc: Document, ctx: RenderContext) -> bytes:
    return _render(doc, speaker(doc, ctx))


def speaker(doc: Document, ctx: RenderContext) -> "Speaker":
    """The document's voice with the project's speech settings and cache (the MP3 and
    the EPUB share it: text both speak is synthesised once)."""
    voices = dict(ctx.options.get("voices") or {})
    return Speaker(voices.get(doc.lang) or voice_of(doc.lang), int(ctx.options.get("rate", 155)),
                   Path(ctx.options.get("cache") or tempfile.gettempdir()) / "speech",
                   ctx.options.get("engine", "espeak-ng"), voices)


def _render(doc: Document, speak: "Speaker") -> bytes:
    """The introduction is a chapter of its own (UKAAF: title, originator, running time,
    how to move between sections, the translation notice), then a chapter per section;
    the closing words end the last one."""
    sections = [(c.title, [speak(u) for u in c.utterances]) for c in chapters(doc)]
    sections[-1][1].append(speak(closing(doc)))
    body_ms = sum(duration_ms(piece) for _, pieces in sections for piece in pieces)
    intro = [speak(u) for u in introduction(doc, max(1, round(body_ms / 60_000)))]
    marks: list[tuple[str, float, float]] = []
    position, pieces = 0.0, []
    for title, said in [(doc.title, intro), *sections]:
        length = sum(duration_ms(piece) for piece in said)
        marks.append((title, position, position + length))
        position += length
        pieces += said
    return _tagged(b"".join(pieces), doc, marks, position)


def frames(piece: bytes) -> int:
    """MP3 frames in a piece: at a constant bitrate the bytes tell (frames vary by the one
    padding byte that keeps the rate exact)."""
    return round(len(piece) * 8 / (BITRATE * 1000) * RATE / FRAME)


def whole_frames(piece: bytes) -> bool:
    """Whether a cached piece is what the encoder makes: whole MPEG-2 layer III frames
    at BITRATE and RATE, one after another to the last byte (so a piece cut short, or a
    file that is not one, is never joined into an MP3)."""
    size, at = len(piece), 0
    while at + 4 <= size:
        step = _FRAME_SIZE[piece[at + 2]]
        if not step or not piece.startswith(MP3_FRAME_START, at):
            return False
        at += step
    return at == size and size > 0


# A frame's size by its third header byte: 0 unless the byte says BITRATE and RATE; the
# padding bit (0x02) adds a byte. A table, as the check runs for every frame read.
_FRAME_SIZE = [FRAME_BYTES + (byte >> 1 & 1) if byte >> 2 == FRAME_HEADER_RATES else 0
               for byte in range(256)]


def duration_ms(piece: bytes) -> float:
    """How long a piece plays (its frames, the encoder's delay and padding included)."""
    return frames(piece) * FRAME / RATE * 1000


class Speaker:
    """Encoded speech for one voice and rate, from the cache or made.

    Each utterance is synthesised by a fresh espeak-ng process: espeak-ng keeps state
    between utterances in one process (measured: the same text spoken twice in a row
    differs from sample 2001 on), which would make the audio depend on what was cached
    before. A fresh engine says a text the same way every time."""

    def __init__(self, voice: str, wpm: int, cache: Path, engine: str = "espeak-ng",
                 voices: dict[str, str] | None = None) -> None:
        self.voice, self.wpm, self.cache, self.engine = voice, wpm, cache, engine
        self.voices = voices or {}  # the project's own voice for a language (speech_voices)

    def __call__(self, utterance: Utterance) -> bytes:
        """Whole MP3 frames of the text (in its own language's voice, if it has one) at
        the loudness target, followed by its pause; a private one is made in memory only.
        The speech is cached without its pause, so a text said before pauses of several
        lengths is made once."""
        lang = utterance.lang
        voice = (self.voices.get(lang) or voice_of(lang)) if lang else self.voice
        key = self.key(utterance.text, voice)
        path = self.cache / key[:2] / f"{key}{PIECE}"
        pause = silence(RATE * utterance.pause_ms // 1000)
        if not utterance.private and path.exists():
            piece = path.read_bytes()
            if whole_frames(piece):  # else damaged (a crash, a bad restore): made again
                os.utime(path)  # its last use, for `leafgen cache prune`
                return piece + pause
        speak = _synthesise_pyttsx3 if self.engine == "pyttsx3" else _synthesise
        piece = _encode(normalised(speak(utterance.text, voice, self.wpm)))
        if not utterance.private:
            # a cache entry: atomic, not forced to disk (one is checked when read)
            write_atomic(path, piece, durable=False)
        return piece + pause

    def key(self, text: str, voice: str | None = None) -> str:
        material = "\n".join([text, voice or self.voice, str(self.wpm), self.engine,
                              engine_version(), SYNTHESIS_VERSION])
        return hashlib.sha256(material.encode("utf-8")).hexdigest()


def normalised(speech: bytes) -> bytes:
    """16-bit speech at the loudness target (ITU-R BS.1770 integrated loudness, measured
    by libebur128), measured with a typical pause (MEASURED_PAUSE) after it, as the whole
    file is measured with its pauses, so that each piece at the target puts the file
    there too. espeak-ng's speech peaks high for its loudness (plosives): a soft limiter
    rounds what passes -6 dBFS off towards -2 dBFS, which leaves a decibel under the
    -1 dBTP ceiling for the peaks between samples and the encoder's (the tests measure
    the true peak of every language's MP3, 4x oversampled, with another meter,
    pyloudnorm)."""
    import numpy as np
    import pyebur128

    samples = np.frombuffer(speech, dtype="<i2")
    meter = pyebur128.R128State(1, RATE, pyebur128.MeasurementMode.MODE_I)
    meter.add_frames(samples, len(samples))
    padding = max(MEASURED_PAUSE, RATE // 2 - len(samples))  # BS.1770 gates 400 ms blocks
    meter.add_frames(np.zeros(padding, dtype="<i2"), padding)
    measured = pyebur128.get_loudness_global(meter)
    if not math.isfinite(measured):
        return speech  # silence: nothing to measure
    y = np.multiply(samples, np.float32(10 ** ((PIECE_TARGET - measured) / 20) / 32768), dtype=np.float32)
    knee, ceiling = np.float32(10 ** (LIMIT_FROM / 20)), np.float32(10 ** (LIMIT_TO / 20))
    loud = np.flatnonzero(np.abs(y) > knee)
    if len(loud):
        over = y[loud]
        y[loud] = np.sign(over) * (knee + (ceiling - knee) * np.tanh((np.abs(over) - knee) / (ceiling - knee)))
    y *= 32768  # in place from here: the same samples as new arrays, without making them
    np.rint(y, out=y)
    np.clip(y, -32768, 32767, out=y)
    return bytes(y.astype("<i2").tobytes())


@lru_cache(maxsize=None)
def silence(samples: int) -> bytes:
    """A pause, encoded once per length (none for none)."""
    return _encode(b"\0\0" * samples) if samples else b""


@lru_cache(maxsize=1)
def engine_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


@lru_cache(maxsize=1)
def _voices() -> frozenset[str]:
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True)
    return frozenset(line.split()[4] for line in out.stdout.splitlines()[1:] if len(line.split()) > 4)


def _synthesise(text: str, voice: str, wpm: int) -> bytes:
    """One utterance to 16-bit mono PCM, spoken by an espeak-ng engine that has spoken
    nothing before (see espeak_server: the same samples as the espeak-ng program). The
    text goes in through a pipe, never on a command line (where any local user's `ps`
    would show a family's details), and no file is written anywhere."""
    if voice not in _voices():
        raise AudioError(f"espeak-ng has no voice '{voice}' (Debian package espeak-ng-data)")
    with _SERVER_LOCK:
        status, payload = _ask_server(voice, wpm, text)
    if status != 0:
        raise AudioError(f"espeak-ng failed: {payload.decode('utf-8', 'replace')[:200]}")
    if not payload:
        raise AudioError(f"espeak-ng gave no speech for '{text[:50]}'")
    return payload[:len(payload) // 2 * 2]


_SERVER_LOCK = threading.Lock()
_server: subprocess.Popen[bytes] | None = None


def _ask_server(voice: str, wpm: int, text: str) -> tuple[int, bytes]:
    """A request to this process's speech server, started on first use (and again if it
    has died, as when a pool recycles)."""
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).parent.parent / "espeak_server.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert _server.stdin is not None and _server.stdout is not None
    request = b"".join(struct.pack("<I", len(field)) + field
                       for field in (voice.encode(), str(wpm).encode(), text.encode("utf-8")))
    try:
        _server.stdin.write(request)
        _server.stdin.flush()
        head = _server.stdout.read(5)
        status, length = head[0], struct.unpack("<I", head[1:])[0]
        payload = _server.stdout.read(length)
    except (BrokenPipeError, IndexError, struct.error):
        _server = None
        raise AudioError("the espeak-ng speech server stopped (libespeak-ng1 installed?)") from None
    if len(payload) != length:
        _server = None
        raise AudioError("the espeak-ng speech server stopped while speaking")
    return status, payload


def _synthesise_pyttsx3(text: str, voice: str, wpm: int) -> bytes:
    """One utterance through pyttsx3 (the operating system's speech: SAPI5, NSSpeech, or
    here its espeak driver), to 16-bit mono PCM at RATE. pyttsx3 can only save to a file:
    it saves to an anonymous file in memory (memfd), never to the disk; where there is
    no such file (macOS, Windows) it is refused, as speech may hold a family's details."""
    import contextlib

    import numpy as np
    import pyttsx3
    from pyttsx3.drivers import _espeak  # the driver pyttsx3 uses on Linux
    from scipy.signal import resample_poly

    if not hasattr(os, "memfd_create"):
        raise AudioError("speech_engine pyttsx3 needs an in-memory file (Linux) to keep speech "
                         "off the disk; use speech_engine: espeak-ng here")
    engine = _pyttsx3_engine()
    engine.setProperty("voice", voice)
    engine.setProperty("rate", wpm)
    # The driver hands the rate to espeak-ng's own thread, and starting to speak cancels
    # whatever that thread is still doing: the sentence itself, if it has been queued by
    # then, which is saved empty (12 in 400 on a busy machine). So let the thread finish.
    def idle() -> bool:
        return not _espeak.IsPlaying()

    _wait_for(idle, text)
    fd = os.memfd_create("leafgen-speech")
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):  # it prints "Audio saved to ..."
            engine.save_to_file(text, f"/proc/self/fd/{fd}")
            engine.runAndWait()
            # runAndWait returns before that thread has spoken. It says "Audio saved"
            # when the file is written, then still tidies up the driver: wait for both.
            _wait_for(lambda: "Audio saved" in said.getvalue() and idle(), text)
        data = os.pread(fd, os.fstat(fd).st_size, 0)
    finally:
        os.close(fd)
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (EOFError, wave.Error) as e:
        raise AudioError(f"pyttsx3 gave no readable speech for '{text[:50]}' ({e})") from None
    if width != 2 or not frames:
        raise AudioError(f"pyttsx3 gave {width * 8}-bit speech or none for '{text[:50]}'")
    x = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).mean(axis=1)
    if rate != RATE:
        x = resample_poly(x, RATE, rate)
    return bytes(np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes())


def _wait_for(done: Callable[[], bool], text: str) -> None:
    """Wait up to 30 s for pyttsx3's espeak thread, as it tells no other way."""
    deadline = time.monotonic() + 30
    while not done():
        if time.monotonic() > deadline:
            raise AudioError(f"pyttsx3 did not finish speaking '{text[:50]}' in 30 s")
        time.sleep(0.001)


@lru_cache(maxsize=1)
def _pyttsx3_engine() -> Any:  # pyttsx3 is untyped
    import atexit
    import gc

    import pyttsx3

    def let_go() -> None:  # while the interpreter is whole: its __del__ fails at shutdown
        _pyttsx3_engine.cache_clear()
        gc.collect()

    atexit.register(let_go)
    return pyttsx3.init()


def _encode(pcm: bytes) -> bytes:
    """Whole MP3 frames of the PCM, from a fresh encoder (the same bytes every time)."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)  # fast; speech at 64 kbps loses nothing audible (quality 2 is 3.6x slower)
    return bytes(encoder.encode(pcm) + encoder.flush())


def _tagged(mp3: bytes, doc: Document, marks: list[tuple[str, float, float]],
            total_ms: float) -> bytes:
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
        tags.add(CHAP(element_id=element_id, start_time=round(start),
                      end_time=round(min(end, total_ms)),
                      start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                      sub_frames=[TIT2(encoding=3, text=title)]))
    tag = io.BytesIO()  # the tag alone: saved in front of 7 MB of audio, mutagen moved it all
    tags.save(tag, v2_version=4, padding=lambda info: 0)
    return _chapters_in_time_order(tag.getvalue()) + mp3


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
