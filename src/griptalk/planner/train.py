"""Train the language model's head: `python -m griptalk.planner.train [--examples N] [--seed S] [--epochs E]`.

Generates tagged commands (griptalk.planner.data), encodes them once with the frozen MiniLM
encoder, trains the tagger head on one CPU thread and writes it to `weights/` with a JSON record
of how it was made. Same seed, same data; a few minutes on one core.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import torch
from torch import nn

from griptalk.planner.data import Example, Generator
from griptalk.planner.tagger import HEAD_FILE, META_FILE, WEIGHTS_DIR, Encoder, HeadConfig, TaggerHead, pad
from griptalk.planner.tags import SENTENCE_CLASSES, WORD_TAGS

TAG_INDEX = {t: i for i, t in enumerate(WORD_TAGS)}
CLASS_INDEX = {c: i for i, c in enumerate(SENTENCE_CLASSES)}


def encode_all(encoder: Encoder, examples: list[Example], batch: int = 64):
    """Encoder outputs for every example (in the examples' order), half precision to save memory."""
    words: list[torch.Tensor | None] = [None] * len(examples)
    pooled = torch.zeros(len(examples), encoder.width)
    by_length = sorted(range(len(examples)), key=lambda i: len(examples[i].words))  # little padding
    for start in range(0, len(examples), batch):
        idx = by_length[start: start + batch]
        w, p = encoder.encode([examples[i].words for i in idx])
        for i, x, row in zip(idx, w, p):
            words[i], pooled[i] = x.half(), row
    tags = [torch.tensor([TAG_INDEX[t] for t in e.tags]) for e in examples]
    classes = torch.tensor([CLASS_INDEX[e.sentence] for e in examples])
    return words, pooled, tags, classes


def evaluate(head: TaggerHead, data, batch: int = 256) -> dict:
    words, pooled, tags, classes = data
    head.eval()
    correct_words = total_words = correct_sentences = exact = 0
    with torch.no_grad():
        for start in range(0, len(words), batch):
            x, lengths = pad(words[start: start + batch])
            word_logits, sentence_logits = head(x, lengths, pooled[start: start + batch])
            predicted = sentence_logits.argmax(-1)
            correct_sentences += int((predicted == classes[start: start + batch]).sum())
            for i, gold in enumerate(tags[start: start + batch]):
                guess = word_logits[i, : len(gold)].argmax(-1)
                right = int((guess == gold).sum())
                correct_words += right
                total_words += len(gold)
                exact += int(right == len(gold) and predicted[i] == classes[start + i])
    n = len(words)
    return {"word_accuracy": correct_words / total_words, "sentence_accuracy": correct_sentences / n,
            "exact_match": exact / n}


def train(examples: int, seed: int, epochs: int, out: Path, config: HeadConfig, lr: float = 2e-3,
          batch: int = 64) -> dict:
    if examples < 100 or epochs < 1:
        raise ValueError(f"need >= 100 examples and >= 1 epoch, got {examples} and {epochs}")
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    start = time.monotonic()
    data = Generator(seed).examples(examples)
    held_out = max(len(data) // 10, 1)
    encoder = Encoder()
    train_set = encode_all(encoder, data[held_out:])
    val_set = encode_all(encoder, data[:held_out])
    encoded_s = time.monotonic() - start
    head = TaggerHead(encoder.width, config.hidden, len(WORD_TAGS), len(SENTENCE_CLASSES), config.dropout)
    optimiser = torch.optim.Adam(head.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=epochs * (
        (len(train_set[0]) + batch - 1) // batch))
    loss_fn = nn.CrossEntropyLoss()
    order = list(range(len(train_set[0])))
    shuffle = random.Random(seed)
    for epoch in range(epochs):
        head.train()
        shuffle.shuffle(order)
        for s in range(0, len(order), batch):
            idx = order[s: s + batch]
            x, lengths = pad([train_set[0][i] for i in idx])
            gold = nn.utils.rnn.pad_sequence([train_set[2][i] for i in idx], batch_first=True, padding_value=-100)
            word_logits, sentence_logits = head(x, lengths, train_set[1][idx])
            loss = nn.functional.cross_entropy(word_logits.reshape(-1, len(WORD_TAGS)), gold.reshape(-1),
                                               ignore_index=-100) + loss_fn(sentence_logits, train_set[3][idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        scores = evaluate(head, val_set)
        print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()), flush=True)
    seconds = time.monotonic() - start
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, str(out / HEAD_FILE))
    meta = {"word_tags": list(WORD_TAGS), "sentence_classes": list(SENTENCE_CLASSES),
            "head": {"hidden": config.hidden, "dropout": config.dropout},
            "training": {"examples": examples, "seed": seed, "epochs": epochs, "lr": lr, "batch": batch,
                         "encode_seconds": round(encoded_s, 1), "seconds": round(seconds, 1),
                         "held_out": {k: round(v, 4) for k, v in scores.items()}}}
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    return meta["training"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m griptalk.planner.train", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=16000, help="generated commands (a tenth held out)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=128, help="LSTM width per direction")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="where to write the head")
    args = parser.parse_args(argv)
    try:
        result = train(args.examples, args.seed, args.epochs, args.out, HeadConfig(hidden=args.hidden))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
