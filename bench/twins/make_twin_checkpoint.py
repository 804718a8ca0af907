"""Writes test/fixtures/twin-block.safetensors: a PyTorch twin of rewarddance's pre-norm
TransformerBlock (same parameter names, dtypes and shapes), saved by a hand-written safetensors
writer (independent of rewarddance's), plus an input and PyTorch's output for it under
"__test__.x" / "__test__.y". Run with Debian's torch: /usr/bin/python3 bench/twins/make_twin_checkpoint.py
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DIM, HEADS = 16, 2


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(DIM, DIM)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) / (c // HEADS) ** 0.5
        y = att.softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(DIM, 4 * DIM)
        self.out = nn.Linear(4 * DIM, DIM)

    def forward(self, x):
        return self.out(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(DIM)
        self.attn = Attn()
        self.ln2 = nn.LayerNorm(DIM)
        self.mlp = Mlp()

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().to(torch.float32)
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - (8 + len(raw)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


if __name__ == "__main__":
    torch.manual_seed(0)
    block = Block()
    with torch.no_grad():
        for p in block.parameters():  # non-trivial norms and biases so a wrong mapping shows
            p.add_(torch.randn_like(p) * 0.1)
    x = torch.randn(2, 5, DIM)
    y = block(x)
    state = dict(block.state_dict())
    state["__test__.x"] = x
    state["__test__.y"] = y
    write_safetensors(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/twin-block.safetensors", state)
