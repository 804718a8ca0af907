"""PyTorch twin of bench/rm.ts: one generative pairwise reward-model training step of the tiny
VLM (conv stem + 4x4 patches, role/position embeddings, pre-norm transformer with the same
block-causal mask, LM head, cross-entropy at <ans>, AdamW + clipping) for one preset.
Prints {"stepMsMedian": ...}. Run: /usr/bin/python3 bench/twins/vlm_step.py --dim 64 --layers 4 --heads 4 --stem 16
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT, IMG, VOCAB, BATCH = 24, 64, 143, 32


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, t, 3, self.h, c // self.h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (c // self.h) ** 0.5) + mask
        x = x + self.proj((att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Vlm(nn.Module):
    def __init__(self, d, layers, heads, stem):
        super().__init__()
        self.tok, self.pos, self.role = nn.Embedding(VOCAB, d), nn.Embedding(64, d), nn.Embedding(8, d)
        self.stem, self.patch = nn.Conv2d(3, stem, 3, padding=1), nn.Conv2d(stem, d, 4, stride=4)
        self.ppos = nn.Embedding(IMG, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.lnf, self.head = nn.LayerNorm(d), nn.Linear(d, VOCAB, bias=False)

    def image(self, px, role):
        f = self.patch(F.gelu(self.stem(px * 2 - 1), approximate="tanh"))
        return f.flatten(2).transpose(1, 2) + self.ppos.weight + self.role.weight[role]

    def forward(self, ids, ref, cand, ans, mask):
        text = self.tok(ids) + self.pos.weight[: ids.shape[1]] + self.role.weight[0]
        a = self.tok(ans) + self.pos.weight[:1] + self.role.weight[2]
        x = torch.cat([text, self.image(ref, 3), self.image(cand, 4), a], 1)
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.lnf(x[:, -1]))


def main():
    ap = argparse.ArgumentParser()
    for k, v in [("dim", 64), ("layers", 4), ("heads", 4), ("stem", 16), ("steps", 20), ("warmup", 3), ("threads", 1)]:
        ap.add_argument("--" + k, type=int, default=v)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = Vlm(a.dim, a.layers, a.heads, a.stem)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
    seg = torch.tensor([0] * TEXT + [1] * IMG + [2] * IMG + [3])
    mask = torch.where(seg[None, :] > seg[:, None], float("-inf"), 0.0)
    ids = torch.randint(5, VOCAB, (BATCH, TEXT))
    ref, cand = torch.rand(BATCH, 3, 32, 32), torch.rand(BATCH, 3, 32, 32)
    ans = torch.full((BATCH, 1), 3)
    target = torch.randint(5, VOCAB, (BATCH,))
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = F.cross_entropy(m(ids, ref, cand, ans, mask), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"stepMsMedian": statistics.median(times), "params": sum(p.numel() for p in m.parameters())}))


if __name__ == "__main__":
    main()
