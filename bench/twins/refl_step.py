"""PyTorch twin of bench/rl.ts: one ReFL step of the flow generator against a frozen tiny-VLM
reward. The generator (text encoder, three-level U-Net with FiLM residual blocks and
cross-attention to the prompt's tokens) runs the guided Euler ODE without gradients to the stop
step, then one guided velocity with gradients predicts x0 = x_t - t v; x0 in [0, 1] goes into
the VLM (conv or patch stem, role and position embeddings, pre-norm transformer with the
block-causal, padding-aware mask, LM head at <ans>), whose parameters do not require gradients;
the loss is -mean P(yes) (softmax over the yes/no logits; or sigmoid of the scalar head) plus
the flow-matching loss on an anchor batch; backward, clipping and AdamW on the generator. The
anchor's images are random tensors here (rewarddance renders world samples; bench/rl.ts reports
that time separately). Prints {"stepMsMedian": ..., "stepCpuMsMedian": ...} (wall clock, process CPU time).
Run: /usr/bin/python3 bench/twins/refl_step.py --batch 16 --steps 5 (bench/rl.ts passes every shape)
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

TIME_FREQS, TIME_SCALE, TIME_MAX_PERIOD = 16, 1000.0, 10000.0
MASK_NEG = -1e9
TEXT_VOCAB = [130]  # the generator's word count + 2, set from --text-vocab


def groups_for(ch, want):
    g = min(want, ch)
    while ch % g:
        g -= 1
    return g


def heads_for(ch, heads):
    h = min(heads, ch)
    while ch % h:
        h -= 1
    return h


def attention(q, k, v, mask):
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        att = att + mask
    return att.softmax(-1) @ v


class Block(nn.Module):
    """Pre-norm transformer block (rewarddance's TransformerBlock)."""

    def __init__(self, d, h, mlp=4):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, round(d * mlp)), nn.Linear(round(d * mlp), d)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, t, 3, self.h, c // self.h).permute(2, 0, 3, 1, 4)
        x = x + self.proj(attention(q, k, v, mask).transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class TextEncoder(nn.Module):
    def __init__(self, d, layers, heads, max_tokens):
        super().__init__()
        self.tok, self.pos = nn.Embedding(TEXT_VOCAB[0], d), nn.Embedding(max_tokens, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)

    def forward(self, ids, keep):
        b, l = ids.shape
        mask = ((keep - 1) * -MASK_NEG).reshape(b, 1, 1, l)
        x = self.tok(ids) + self.pos.weight[:l]
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.ln(x)
        w = keep.reshape(b, l, 1)
        return x, mask, (x * w).sum(1) / w.sum(1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, e, g):
        super().__init__()
        self.cout = cout
        self.n1, self.c1 = nn.GroupNorm(groups_for(cin, g), cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(e, 2 * cout)
        self.n2, self.c2 = nn.GroupNorm(groups_for(cout, g), cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = None if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, emb):
        b = x.shape[0]
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.film(emb).reshape(b, 2, self.cout, 1, 1).chunk(2, 1)
        h = self.n2(h) * (scale.squeeze(1) + 1) + shift.squeeze(1)
        h = self.c2(F.silu(h))
        return h + (self.skip(x) if self.skip is not None else x)


class CrossAttention(nn.Module):
    def __init__(self, ch, td, heads, g):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups_for(ch, g), ch)
        self.q, self.kv, self.out = nn.Linear(ch, ch), nn.Linear(td, 2 * ch), nn.Linear(ch, ch)

    def forward(self, x, tokens, mask):
        b, c, hh, ww = x.shape
        l = tokens.shape[1]
        dh = c // self.heads
        seq = self.norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        q = self.q(seq).reshape(b, hh * ww, self.heads, dh).transpose(1, 2)
        kv = self.kv(tokens).reshape(b, l, 2, self.heads, dh).permute(2, 0, 3, 1, 4)
        y = attention(q, kv[0], kv[1], mask)
        o = self.out(y.transpose(1, 2).reshape(b, hh * ww, c))
        return x + o.transpose(1, 2).reshape(b, c, hh, ww)


def time_features(t):
    freqs = torch.exp(torch.arange(TIME_FREQS, dtype=torch.float32) * (-math.log(TIME_MAX_PERIOD) / TIME_FREQS))
    args = (t * TIME_SCALE).reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([args.sin(), args.cos()], 1)


class FlowUNet(nn.Module):
    def __init__(self, a):
        super().__init__()
        c0, c1, c2 = a.channels
        e, g, td, heads = a.emb_dim, a.groups, a.text_dim, a.heads
        self.size = 32
        self.text = TextEncoder(td, a.text_layers, heads, a.max_tokens)
        self.time1, self.time2, self.text_proj = nn.Linear(2 * TIME_FREQS, e), nn.Linear(e, e), nn.Linear(td, e)
        self.in_conv = nn.Conv2d(3, c0, 3, padding=1)
        self.down0, self.ds0 = ResBlock(c0, c0, e, g), nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1, self.attn1 = ResBlock(c0, c1, e, g), CrossAttention(c1, td, heads_for(c1, heads), g)
        self.ds1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.mid = nn.ModuleList([ResBlock(c1, c2, e, g), ResBlock(c2, c2, e, g)])
        self.mid_attn = CrossAttention(c2, td, heads, g)
        self.up1, self.up_attn1 = ResBlock(c2 + c1, c1, e, g), CrossAttention(c1, td, heads_for(c1, heads), g)
        self.up0 = ResBlock(c1 + c0, c0, e, g)
        self.out_norm, self.out_conv = nn.GroupNorm(groups_for(c0, g), c0), nn.Conv2d(c0, 3, 3, padding=1)

    def forward(self, x, t, text):
        tokens, mask, pooled = text
        s = self.size
        emb = F.silu(self.time2(F.silu(self.time1(time_features(t)))) + self.text_proj(pooled))
        h0 = self.down0(self.in_conv(x), emb)
        h1 = self.attn1(self.down1(self.ds0(h0), emb), tokens, mask)
        m = self.ds1(h1)
        for blk in self.mid:
            m = blk(m, emb)
        m = self.mid_attn(m, tokens, mask)
        u = F.interpolate(m, size=(s // 2, s // 2), mode="nearest")
        u = self.up_attn1(self.up1(torch.cat([u, h1], 1), emb), tokens, mask)
        u = F.interpolate(u, size=(s, s), mode="nearest")
        u = self.up0(torch.cat([u, h0], 1), emb)
        return self.out_conv(F.silu(self.out_norm(u)))


def prompt_batch(b, length, vocab_lo=2):
    """b prompts of `length` tokens ([CLS] first) -> ids, keep."""
    ids = torch.randint(vocab_lo, TEXT_VOCAB[0], (b, length))
    ids[:, 0] = 1
    return ids, torch.ones(b, length)


def guided_text(model, ids, keep):
    """The prompts, then as many null prompts ([CLS] only), as rewarddance's guidedText."""
    b, l = ids.shape
    null_ids = torch.zeros(b, l, dtype=torch.long)
    null_ids[:, 0] = 1
    null_keep = torch.zeros(b, l)
    null_keep[:, 0] = 1
    return model.text(torch.cat([ids, null_ids]), torch.cat([keep, null_keep]))


def guided_velocity(model, x, t, text, w):
    b = x.shape[0]
    v = model(torch.cat([x, x]), torch.full((2 * b,), t), text)
    vc, vu = v[:b], v[b:]
    return vu + (vc - vu) * w


class Vlm(nn.Module):
    """The tiny VLM's reward path: patch encoder, embeddings, transformer, head at <ans>."""

    def __init__(self, a):
        super().__init__()
        d, sc, p = a.vlm_dim, a.vlm_stem_channels, a.vlm_patch
        self.d = d
        self.tok, self.text_pos, self.role = nn.Embedding(a.vlm_vocab, d), nn.Embedding(a.vlm_max_text, d), nn.Embedding(8, d)
        self.media_role = nn.Embedding(8, d) if a.vlm_media_role else None
        self.stem = nn.Conv2d(3, sc, 3, padding=1)
        self.conv = a.vlm_stem == "conv"
        if self.conv:
            halvings = round(math.log2(p))
            widths = [sc * 2**i for i in range(halvings + 1)]
            self.down = nn.ModuleList([nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1) for i in range(halvings)])
            self.norms = nn.ModuleList([nn.GroupNorm(1, w) for w in widths])
            self.patchify = nn.Conv2d(widths[-1], d, 1)
        else:
            self.down, self.norms = nn.ModuleList(), nn.ModuleList()
            self.patchify = nn.Conv2d(sc, d, p, stride=p)
        grid = 32 // p
        self.pos = nn.Embedding(grid * grid, d)
        self.pos_coarse, self.frame = nn.Embedding((grid // 2) ** 2, d), nn.Embedding(a.vlm_max_frames, d)  # video only: unused here
        self.blocks = nn.ModuleList([Block(d, a.vlm_heads, a.vlm_mlp) for _ in range(a.vlm_layers)])
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, a.vlm_vocab, bias=False)
        self.scalar = nn.Linear(d, 1) if a.vlm_scalar_head else None
        self.use_scalar = bool(a.vlm_scalar)

    def image(self, px, role):
        norm = (lambda i, x: self.norms[i](x)) if self.conv else (lambda i, x: x)
        x = F.gelu(norm(0, self.stem((px - 0.5) * 2)), approximate="tanh")
        for i, c in enumerate(self.down):
            x = F.gelu(norm(i + 1, c(x)), approximate="tanh")
        f = self.patchify(x)
        table = self.media_role if self.media_role is not None else self.role
        return f.reshape(f.shape[0], self.d, -1).transpose(1, 2) + self.pos.weight + table.weight[role]

    def forward(self, ids, ref, cand, ans, mask):
        parts = [self.tok(ids) + self.text_pos.weight[: ids.shape[1]] + self.role.weight[0]]
        if ref is not None:
            parts.append(self.image(ref, 3))
        parts.append(self.image(cand, 4))
        parts.append(self.tok(ans) + self.text_pos.weight[:1] + self.role.weight[2])
        x = torch.cat(parts, 1)
        for b in self.blocks:
            x = b(x, mask)
        h = self.lnf(x)[:, -1]
        return h


def main():
    ap = argparse.ArgumentParser()
    ints = [("batch", 16), ("steps", 5), ("warmup", 2), ("sample-steps", 16), ("stop", 15), ("anchor-batch", 16), ("emb-dim", 96), ("text-dim", 64), ("text-layers", 2),
            ("heads", 4), ("groups", 8), ("max-tokens", 16), ("gen-len", 8), ("anchor-len", 9), ("vlm-dim", 64), ("vlm-layers", 4), ("vlm-heads", 4), ("vlm-stem-channels", 16),
            ("vlm-patch", 4), ("vlm-vocab", 160), ("vlm-text-len", 24), ("vlm-pairwise", 1), ("vlm-scalar", 0), ("vlm-scalar-head", 0), ("vlm-media-role", 1), ("vlm-max-text", 64),
            ("vlm-max-frames", 8), ("text-vocab", 130), ("threads", 1)]
    for k, v in ints:
        ap.add_argument("--" + k, type=int, default=v)
    for k, v in [("guidance", 2.0), ("anchor", 1.0), ("lr", 2e-5), ("vlm-mlp", 4.0)]:
        ap.add_argument("--" + k, type=float, default=v)
    ap.add_argument("--channels", default="32,48,64")
    ap.add_argument("--vlm-stem", default="conv")
    a = ap.parse_args()
    a.channels = [int(c) for c in a.channels.split(",")]
    TEXT_VOCAB[0] = a.text_vocab
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = FlowUNet(a)
    vlm = Vlm(a).eval()
    for p in vlm.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(gen.parameters(), lr=a.lr, weight_decay=0.0)
    b = a.batch
    ids, keep = prompt_batch(b, a.gen_len)
    vlm_ids = torch.randint(5, a.vlm_vocab, (b, a.vlm_text_len))
    ans = torch.full((b, 1), 3)
    ref = torch.rand(b, 3, 32, 32) if a.vlm_pairwise else None
    tokens_per_image = (32 // a.vlm_patch) ** 2
    seg = [0] * a.vlm_text_len + ([1] * tokens_per_image if a.vlm_pairwise else []) + [2] * tokens_per_image + [3]
    seg = torch.tensor(seg)
    mask = torch.where(seg[None, :] > seg[:, None], float("-inf"), 0.0).expand(b, 1, len(seg), len(seg)).contiguous()
    yes_id, no_id = 10, 11
    anchor_ids, anchor_keep = prompt_batch(a.anchor_batch, a.anchor_len)
    grid = [1 - i / a.sample_steps for i in range(a.sample_steps + 1)]
    times, cpu = [], []
    for i in range(a.warmup + a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        gen.train()
        with torch.no_grad():
            text = guided_text(gen, ids, keep)
            x = torch.randn(b, 3, 32, 32)
            for j in range(a.stop):
                x = x + guided_velocity(gen, x, grid[j], text, a.guidance) * (grid[j + 1] - grid[j])
        v = guided_velocity(gen, x, grid[a.stop], guided_text(gen, ids, keep), a.guidance)
        x0 = ((x - v * grid[a.stop]) + 1).mul(0.5).clamp(0, 1)
        h = vlm(vlm_ids, ref, x0, ans, mask)
        if vlm.use_scalar:
            reward = torch.sigmoid(vlm.scalar(h).squeeze(-1))
        else:
            logits = vlm.head(h)
            reward = torch.sigmoid(logits[:, yes_id] - logits[:, no_id])
        loss = -reward.mean()
        if a.anchor > 0:
            xa = torch.rand(a.anchor_batch, 3, 32, 32) * 2 - 1
            t = torch.sigmoid(torch.randn(a.anchor_batch))
            noise = torch.randn_like(xa)
            tt = t.reshape(-1, 1, 1, 1)
            xt = xa * (1 - tt) + noise * tt
            va = gen(xt, t, gen.text(anchor_ids, anchor_keep))
            loss = loss + ((va - (noise - xa)) ** 2).mean() * a.anchor
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gen.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        _ = reward.detach().tolist()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"stepMsMedian": statistics.median(times), "stepCpuMsMedian": statistics.median(cpu), "steps": a.steps, "generatorParams": sum(p.numel() for p in gen.parameters()), "vlmParams": sum(p.numel() for p in vlm.parameters())}))


if __name__ == "__main__":
    main()
