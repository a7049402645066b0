"""Build a tiny but genuine Argos Translate package offline, for tests.

The package has the real layout (metadata.json, a CTranslate2 model/, a
sentencepiece.model and a MiniSBD ONNX sentence splitter), so Argos runs its
real code path on it with no network. The weights are random: it translates
into deterministic gibberish in the target language's script.

Needs argostranslate plus `onnx` (to write the splitter). Importing this module
does not import argostranslate, whose settings are read at import time.
"""
from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import onnx
import sentencepiece as spm
from ctranslate2.converters.converter import Converter
from ctranslate2.specs import common_spec, transformer_spec
from onnx import TensorProto, helper

SEED = 1234
D_MODEL = 16  # model width: tiny, so model.bin is ~40 KB and loads instantly
FFN = 32
HEADS = 2
EOS = 2  # SentencePiece's default id for </s>
STOP = D_MODEL - 1  # the decoder dimension that says when to stop (see TinyConverter._load)
OUTPUT_PIECES = 3  # each sentence translates to exactly this many SentencePiece pieces
MAX_STEPS = 256  # rows of the decoder position table: CTranslate2's default max decoding length
STOP_SIZE = 10.0  # dominates the other dimensions, so the layer norm keeps its sign
EOS_WEIGHT = 10.0  # makes </s> certain once STOP is positive, impossible before

NAMES = {"en": "English", "ur": "Urdu"}

# Training text for SentencePiece; the target side also fixes the output script.
SENTENCES = {
    "en": [
        "Hello, this is a test.",
        "Call your social worker.",
        "You can get help with your rent.",
        "Ask for an interpreter if you need one.",
        "The service is free and confidential.",
        "Bring your letter to the appointment.",
        "We will call you back within two days.",
        "Tell us if your address changes.",
        "Your child can see a doctor.",
        "The office is open from Monday to Friday.",
        "Keep this leaflet in a safe place.",
        "Who can I talk to about money?",
    ],
    "ur": [
        "ہیلو، یہ ایک امتحان ہے۔",
        "اپنے سماجی کارکن کو فون کریں۔",
        "آپ کو کرایہ میں مدد مل سکتی ہے۔",
        "اگر ضرورت ہو تو مترجم مانگیں۔",
        "یہ سروس مفت اور خفیہ ہے۔",
        "ملاقات پر اپنا خط ساتھ لائیں۔",
        "ہم دو دن میں آپ کو واپس فون کریں گے۔",
        "اگر آپ کا پتہ بدل جائے تو ہمیں بتائیں۔",
        "آپ کا بچہ ڈاکٹر کو دکھا سکتا ہے۔",
        "دفتر پیر سے جمعہ تک کھلا ہے۔",
        "یہ کتابچہ محفوظ جگہ پر رکھیں۔",
        "میں پیسوں کے بارے میں کس سے بات کروں؟",
    ],
}

# MiniSBD labels each character: 0 = inside a token, 1 = token end, 2 = sentence end.
SPLIT_CLASSES = {" ": 1, ".": 2, "!": 2, "?": 2, "۔": 2, "؟": 2}

ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed timestamps keep the .argosmodel byte-identical


def _sentences(code: str) -> list[str]:
    """Training sentences for a language code; unknown codes reuse the English ones."""
    return SENTENCES.get(code, SENTENCES["en"])


def train_sentencepiece(sentences: list[str]) -> bytes:
    """Train a small SentencePiece model in memory and return its bytes."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=120,
        hard_vocab_limit=False,  # a soft limit: the corpus is too small to fill 120 exactly
        character_coverage=1.0,  # keep every Urdu character, or they become <unk>
        num_threads=1,  # one thread for a deterministic model
        minloglevel=2,  # silence the training log
    )
    # ids 0-2 default to <unk> <s> </s>, which are CTranslate2's special tokens.
    return model.getvalue()


class TinyConverter(Converter):
    """A CTranslate2 converter that makes a random 1-layer Transformer instead of loading one."""

    def __init__(self, source_vocab: list[str], target_vocab: list[str], seed: int = SEED):
        self.source_vocab = source_vocab
        self.target_vocab = target_vocab
        self.rng = np.random.default_rng(seed)

    def _weights(self, *shape: int) -> np.ndarray:
        """Small random float32 weights (CTranslate2 rejects float64)."""
        return (self.rng.standard_normal(shape) * 0.5).astype(np.float32)

    def _linear(self, spec: common_spec.LinearSpec, out_dim: int, in_dim: int = D_MODEL) -> None:
        """Set a linear layer's weight, laid out (out, in)."""
        spec.weight = self._weights(out_dim, in_dim)

    @staticmethod
    def _norm(spec: common_spec.LayerNormSpec) -> None:
        """Set an identity layer norm."""
        spec.gamma = np.ones(D_MODEL, dtype=np.float32)
        spec.beta = np.zeros(D_MODEL, dtype=np.float32)

    def _load(self) -> transformer_spec.TransformerSpec:
        """Build the spec with every required weight set."""
        spec = transformer_spec.TransformerSpec.from_config(1, HEADS, pre_norm=True)
        encoder, decoder = spec.encoder, spec.decoder

        encoder.embeddings[0].weight = self._weights(len(self.source_vocab), D_MODEL)
        decoder.embeddings.weight = self._weights(len(self.target_vocab), D_MODEL)
        self._norm(encoder.layer_norm)
        self._norm(decoder.layer_norm)

        for layer in [*encoder.layer, *decoder.layer]:
            self._norm(layer.self_attention.layer_norm)
            self._linear(layer.self_attention.linear[0], 3 * D_MODEL)  # fused Q, K, V
            self._linear(layer.self_attention.linear[1], D_MODEL)  # output
            self._norm(layer.ffn.layer_norm)
            self._linear(layer.ffn.linear_0, FFN)
            self._linear(layer.ffn.linear_1, D_MODEL, FFN)
        for layer in decoder.layer:
            self._norm(layer.attention.layer_norm)
            self._linear(layer.attention.linear[0], D_MODEL)  # query
            self._linear(layer.attention.linear[1], 2 * D_MODEL)  # fused K, V over the encoder
            self._linear(layer.attention.linear[2], D_MODEL)  # output

        # Random weights alone give empty or endless (256-piece) output. So the residual
        # stream's last dimension, STOP, carries only a learned position table (large and
        # negative before step OUTPUT_PIECES, positive from it on) and only </s> reads it:
        # every sentence comes out as exactly OUTPUT_PIECES pieces.
        decoder.embeddings.weight[:, STOP] = 0.0
        for layer in decoder.layer:  # no layer may write to STOP
            for out in (layer.self_attention.linear[1], layer.attention.linear[2]):
                out.weight[STOP] = 0.0
            layer.ffn.linear_1.weight[STOP] = 0.0
        positions = np.zeros((MAX_STEPS, D_MODEL), dtype=np.float32)
        positions[:, STOP] = np.where(np.arange(MAX_STEPS) < OUTPUT_PIECES, -STOP_SIZE, STOP_SIZE)
        decoder.position_encodings.encodings = positions
        projection = np.zeros((len(self.target_vocab), D_MODEL), dtype=np.float32)
        rows = self._weights(len(self.target_vocab), STOP)
        # Zero-sum rows: the final layer norm shifts every other dimension by the same amount
        # when STOP flips, and that must not change which piece wins.
        projection[:, :STOP] = rows - rows.mean(axis=1, keepdims=True)
        projection[EOS] = 0.0
        projection[EOS, STOP] = EOS_WEIGHT
        decoder.projection.weight = projection
        spec.register_source_vocabulary(self.source_vocab)
        spec.register_target_vocabulary(self.target_vocab)
        return spec


def build_splitter(lang: str) -> onnx.ModelProto:
    """A MiniSBD-format ONNX model that splits on spaces and sentence-final punctuation."""
    units = ["<PAD>", "<UNK>", *SPLIT_CLASSES]
    table = np.zeros((len(units), 5), dtype=np.float32)
    for i, unit in enumerate(units):
        table[i, SPLIT_CLASSES.get(unit, 0)] = 1.0  # any other character stays inside a token

    # logits[b, t] = table[units[b, t]]; `features` must be declared because MiniSBD feeds it.
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "units"], ["logits"], axis=0)],
        "tiny_sbd",
        inputs=[
            helper.make_tensor_value_info("units", TensorProto.INT64, ["B", "T"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", "T", "F"]),
        ],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", "T", 5])],
        initializer=[onnx.numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(
        graph, producer_name="tiny_argos", opset_imports=[helper.make_opsetid("", 13)]
    )
    model.ir_version = 8  # what older onnxruntime releases read; newer onnx writes a later one
    config = {"feat_funcs": [], "max_seqlen": 1000, "batch_size": 32}
    vocab = {"lang": lang, "_id2unit": units, "_unit2id": {u: i for i, u in enumerate(units)}}
    helper.set_model_props(
        model,
        {
            "lang_code": lang,
            "config": json.dumps(config),
            "vocab": json.dumps(vocab, ensure_ascii=False),
            "lexicon": "null",
        },
    )
    onnx.checker.check_model(model)
    return model


def build_package(dest_dir: Path, from_code: str = "en", to_code: str = "ur") -> Path:
    """Build a tiny genuine .argosmodel file in dest_dir and return its path."""
    name = f"translate-{from_code}_{to_code}-1_0"
    sp_bytes = train_sentencepiece(_sentences(from_code) + _sentences(to_code))
    sp = spm.SentencePieceProcessor(model_proto=sp_bytes)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    # Argos uses one SentencePiece model both ways; limiting the target vocabulary to
    # the target's pieces makes the gibberish come out in the target's script.
    target_pieces = {p for s in _sentences(to_code) for p in sp.encode(s, out_type=str)}
    # ("▁" alone decodes to "", which could make a translation empty.)
    target_vocab = pieces[:3] + sorted(target_pieces - set(pieces[:3]) - {"▁"})

    metadata = {
        "package_version": "1.0",
        "argos_version": "1.0",
        "from_code": from_code,
        "from_name": NAMES.get(from_code, from_code),
        "to_code": to_code,
        "to_name": NAMES.get(to_code, to_code),
        "type": "translate",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / name
        TinyConverter(pieces, target_vocab).convert(str(root / "model"))
        (root / "sentencepiece.model").write_bytes(sp_bytes)
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        # A packaged splitter stops Argos from downloading MiniSBD's or Stanza's.
        (root / "minisbd").mkdir()
        onnx.save(build_splitter(from_code), str(root / "minisbd" / f"{from_code}.onnx"))

        dest_dir.mkdir(parents=True, exist_ok=True)
        package_path = dest_dir / f"{name}.argosmodel"
        with zipfile.ZipFile(package_path, "w", zipfile.ZIP_DEFLATED) as archive:
            # Sorted entries with fixed times: the same bytes on every build.
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(tmp)), ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, path.read_bytes())
    return package_path


def install(package_path: Path, data_home: Path) -> None:
    """Install the package under data_home/argos-translate/packages, as XDG_DATA_HOME would."""
    # Unzipping is all install_from_path does; doing it here keeps argostranslate
    # (and its import-time settings) out of the calling process.
    with zipfile.ZipFile(package_path) as archive:
        archive.extractall(data_home / "argos-translate" / "packages")
