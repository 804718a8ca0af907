"""PyTorch twin of bench/core.ts: the same transformer training step (d=128, 4 layers, 4 heads,
seq 80 = 64 patches of a 32x32 image + 16 text tokens, batch 32, vocab 512, AdamW), same
thread settings. Prints one JSON line {"stepMsMedian": ..., "steps": ...}.
Run by Debian's python3 (python3-torch): /usr/bin/python3 bench/twins/core_step.py --steps 40
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

D, LAYERS, HEADS, PATCHES, TEXT, BATCH, VOCAB, PATCH_DIM = 128, 4, 4, 64, 16, 32, 512, 4 * 4 * 3


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (c // HEADS) ** 0.5) + mask
        y = att.softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.attn, self.ln2 = nn.LayerNorm(D), Attn(), nn.LayerNorm(D)
        self.fc, self.out = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Linear(PATCH_DIM, D)
        self.tok = nn.Embedding(VOCAB, D)
        self.pos = nn.Embedding(PATCHES + TEXT, D)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)

    def forward(self, patches, tokens, mask):
        x = torch.cat([self.patch(patches), self.tok(tokens)], 1) + self.pos.weight
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.ln(x[:, PATCHES - 1 : -1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    t = PATCHES + TEXT
    mask = torch.full((t, t), float("-inf")).triu(1)
    patches = torch.randn(BATCH, PATCHES, PATCH_DIM)
    tokens = torch.randint(0, VOCAB, (BATCH, TEXT))
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        logits = model(patches, tokens, mask)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tokens.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"stepMsMedian": statistics.median(times), "steps": a.steps, "threads": torch.get_num_threads(), "loss": loss.item()}))


if __name__ == "__main__":
    main()
