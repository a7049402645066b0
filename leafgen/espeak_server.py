"""A small speech server around libespeak-ng, run as a script by leafgen.formats.audio
(standard library only, so that it stays small and forks fast).

Why a server that forks: espeak-ng keeps state between utterances in one process
(measured: the same text spoken twice in a row differs from its 373rd sample on, and
neither srand nor setting the voice again resets it), so each utterance needs an engine
that has spoken nothing yet. Starting the espeak-ng program per utterance gives that,
but loads the engine and the voice's dictionary every time. This server loads them once,
never speaks itself, and forks a child per utterance: the child starts from the loaded,
silent engine, speaks, writes its samples to stdout and exits. The samples are
the same as the espeak-ng program's (a test compares them).

Nothing is written to a file: the text comes in on stdin and the speech goes out on
stdout. Protocol, all lengths 4-byte little-endian:
  request:  voice, rate (words per minute, decimal), text: each as length + UTF-8
  answer:   status byte (0 speech, 1 error), then length + samples (16-bit mono) or
            length + an error message
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import struct

SYNCHRONOUS = 2            # espeak_AUDIO_OUTPUT: samples to the callback, Synth returns when done
POS_CHARACTER = 1
FLAGS = 0x100 | 0x1000     # espeakPHONEMES | espeakENDPAUSE: what the espeak-ng program passes
RATE_PARAMETER = 1         # espeakRATE
# The synthesis callback's buffer, in ms of speech: 500 rather than the default's 60, so
# that a child calls back into Python about 12 times for 6 s of speech, not 130 (7% less
# time speaking). The samples are the same: measured on all 3,755 texts of the matrix in
# 17 voices. (From about 5 s up they are not: wavegen then runs its command queue dry.)
BUFFER_MS = 500

Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                            ctypes.c_void_p)


def read_exactly(n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_field() -> bytes:
    (length,) = struct.unpack("<I", read_exactly(4))
    return read_exactly(length)


def write_all(fd: int, parts: list[bytes]) -> None:
    """The parts, in order, with as few writes as the pipe allows (os.writev: no copy of
    the speech is made to join them)."""
    views = [memoryview(part) for part in parts if part]
    while views:
        written = os.writev(fd, views[:512])  # Linux takes up to 1024 at a time
        while views and written >= len(views[0]):
            written -= len(views.pop(0))
        if views:
            views[0] = views[0][written:]


def answer(status: int, payload: bytes | list[bytes]) -> None:
    parts = payload if isinstance(payload, list) else [payload]
    write_all(1, [bytes([status]) + struct.pack("<I", sum(map(len, parts))), *parts])


# The samples of the utterance being spoken: filled by the synthesis callback in a child.
spoken: list[bytes] = []


def take(samples: ctypes.Array[ctypes.c_short], count: int, _events: int) -> int:
    if count > 0:
        spoken.append(ctypes.string_at(samples, count * 2))
    return 0


# Made once, before any fork: making a ctypes callback maps executable memory, a cost
# every child would otherwise pay again.
CALLBACK = Callback(take)


def speak_in_child(engine: ctypes.CDLL, text: bytes) -> None:
    """Answer with the speech for the text, from a forked copy of this silent engine.

    The child gathers its samples and writes the whole answer to stdout itself, in one
    gathered write: no chunk-by-chunk hand-over between processes (that hand-over, 130
    small writes per utterance and a wake-up for each, cost more than the forking)."""
    pid = os.fork()
    if pid == 0:  # the child: speak, answer, then go without cleaning up
        text_z = text + b"\0"
        engine.espeak_Synth(text_z, len(text_z), 0, POS_CHARACTER, 0, FLAGS, None, None)
        engine.espeak_Synchronize()
        answer(0, spoken)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:  # nothing was answered if it failed before speaking; else leafgen sees a cut answer
        raise RuntimeError(f"the speaking process failed (wait status {status})")


def main() -> None:
    try:  # room for a whole utterance (23 s of speech) in the pipe: one write, no waiting
        fcntl.fcntl(1, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass  # a smaller pipe only means more hand-overs
    try:
        engine = ctypes.CDLL("libespeak-ng.so.1")  # Linux (Debian's libespeak-ng1)
    except OSError:
        answer(1, b"libespeak-ng is not installed (Debian package libespeak-ng1)")
        return
    if engine.espeak_Initialize(SYNCHRONOUS, BUFFER_MS, None, 0) <= 0:
        answer(1, b"libespeak-ng did not start (is espeak-ng-data installed?)")
        return
    engine.espeak_SetSynthCallback(CALLBACK)
    voice, rate = b"", b""
    while True:
        try:
            wanted_voice, wanted_rate, text = read_field(), read_field(), read_field()
        except EOFError:
            return  # leafgen has gone
        try:
            if wanted_voice != voice:
                if engine.espeak_SetVoiceByName(wanted_voice) != 0:
                    raise RuntimeError(f"espeak-ng has no voice '{wanted_voice.decode()}'")
                voice, rate = wanted_voice, b""
            if wanted_rate != rate:
                engine.espeak_SetParameter(RATE_PARAMETER, int(wanted_rate), 0)
                rate = wanted_rate
            speak_in_child(engine, text)
        except (RuntimeError, ValueError) as e:
            answer(1, str(e).encode("utf-8"))


if __name__ == "__main__":
    main()
