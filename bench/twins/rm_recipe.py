"""PyTorch twin of rewarddance reward-model fine-tuning (TinyVlm, rd-m conv stem), for recipe sweeps on
a GPU: it loads a rewarddance checkpoint, trains one paradigm on pairs exported by
bench/export-twin-pairs.ts and prints ID/OOD/train accuracy (evaluated as `rm eval` does) every
--eval-every steps. Its forward matches the TypeScript model to 1e-4 (P(yes) of the same pairs).
Usage: python3 bench/twins/rm_recipe.py NAME --data DIR --vocab CKPT/config.json [--init CKPT/model.safetensors]
  [--paradigm pairwise|pointwise|bt] [--steps N] [--lr X] [--paired 1] [--mix 0.5] [--out DIR]
Writes OUT/NAME.jsonl. DESIGN.md section 9 lists the sweep and its results."""
import argparse, gzip, json, math, os, struct, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

ROLES = ['prompt', 'text', 'answer', 'reference', 'candidate', 'condition', 'example-reference', 'example-candidate']

def load_split(data, name, dev):
    d = f'{data}/{name}'
    meta = json.load(open(d + '-meta.json'))
    n, L = meta['n'], meta['L']
    img = np.frombuffer(gzip.open(d + '-img.gz').read(), np.uint8).reshape(n, 2, 32, 32, 3)
    pw = np.frombuffer(gzip.open(d + '-pw.gz').read(), np.int32).reshape(n, L)
    pt = np.frombuffer(gzip.open(d + '-pt.gz').read(), np.int32).reshape(n, L)
    img = torch.tensor(img).permute(0, 1, 4, 2, 3).float().div(255).to(dev)
    return dict(n=n, img=img, pw=torch.tensor(pw).long().to(dev), pt=torch.tensor(pt).long().to(dev), tags=meta['tags'])

class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.h = h
        s.ln1, s.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.attn = nn.Module(); s.attn.qkv = nn.Linear(d, 3 * d); s.attn.proj = nn.Linear(d, d)
        s.mlp = nn.Module(); s.mlp.fc = nn.Linear(d, 4 * d); s.mlp.out = nn.Linear(4 * d, d)
    def forward(s, x, mask):
        b, t, c = x.shape
        q, k, v = s.attn.qkv(s.ln1(x)).reshape(b, t, 3, s.h, c // s.h).permute(2, 0, 3, 1, 4)
        y = ((q @ k.transpose(-2, -1)) * (c // s.h) ** -0.5 + mask).softmax(-1) @ v
        x = x + s.attn.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + s.mlp.out(F.gelu(s.mlp.fc(s.ln2(x)), approximate='tanh'))

class Enc(nn.Module):
    def __init__(s, d, sc):
        super().__init__()
        s.stem = nn.Conv2d(3, sc, 3, padding=1)
        s.down = nn.ModuleList([nn.Conv2d(sc, 2 * sc, 3, 2, 1), nn.Conv2d(2 * sc, 4 * sc, 3, 2, 1)])
        s.norms = nn.ModuleList([nn.GroupNorm(1, sc), nn.GroupNorm(1, 2 * sc), nn.GroupNorm(1, 4 * sc)])
        s.patchify = nn.Conv2d(4 * sc, d, 1)
        s.pos = nn.Embedding(64, d)
    def forward(s, px):
        x = F.gelu(s.norms[0](s.stem((px - 0.5) * 2)), approximate='tanh')
        for i, c in enumerate(s.down): x = F.gelu(s.norms[i + 1](c(x)), approximate='tanh')
        f = s.patchify(x)
        return f.flatten(2).transpose(1, 2) + s.pos.weight

class Vlm(nn.Module):
    def __init__(s, V, d, layers, heads, sc, media_std):
        super().__init__()
        s.tok, s.text_pos, s.role = nn.Embedding(V, d), nn.Embedding(64, d), nn.Embedding(8, d)
        s.media_role = nn.Embedding(8, d)
        s.encoder = Enc(d, sc)
        s.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        s.lnf, s.head = nn.LayerNorm(d), nn.Linear(d, V, bias=False)
        s.scalar = nn.Linear(d, 1)
        for m in s.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)): nn.init.normal_(m.weight, 0, 0.02)
            if isinstance(m, nn.Linear) and m.bias is not None: nn.init.zeros_(m.bias)
        nn.init.normal_(s.media_role.weight, 0, media_std if media_std > 0 else 0.02)
        s.media_std = media_std
    def rv(s, role, media=False):
        t = s.media_role if (media and s.media_std > 0) else s.role
        return t.weight[ROLES.index(role)]
    def forward(s, ids, imgs, roles):
        """ids (B,L) prompt ids (0 = pad); imgs list of (B,3,32,32); roles list of media roles. Returns hidden at <ans> (B,D)."""
        b, L = ids.shape
        parts = [s.tok(ids) + s.text_pos.weight[:L] + s.rv('prompt')]
        segs = [torch.zeros(L, dtype=torch.long, device=ids.device)]
        for i, (im, r) in enumerate(zip(imgs, roles)):
            parts.append(s.encoder(im) + s.rv(r, True)); segs.append(torch.full((64,), i + 1, device=ids.device))
        ans = torch.full((b, 1), 3, device=ids.device)
        parts.append(s.tok(ans) + s.text_pos.weight[:1] + s.rv('answer')); segs.append(torch.full((1,), len(imgs) + 1, device=ids.device))
        x = torch.cat(parts, 1); seg = torch.cat(segs)
        T = x.shape[1]
        pad = torch.cat([ids == 0, torch.zeros(b, T - L, dtype=torch.bool, device=ids.device)], 1)  # (B,T)
        blocked = (seg[None, :] > seg[:, None])[None] | pad[:, None, :]
        mask = torch.zeros(b, 1, T, T, device=ids.device).masked_fill(blocked[:, None], float('-inf'))
        for blk in s.blocks: x = blk(x, mask)
        return s.lnf(x[:, -1])

def load_ckpt(m, path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n
    sd = m.state_dict(); loaded = []
    for k, v in h.items():
        if k == '__metadata__' or k not in sd: continue
        s, e = v['data_offsets']
        t = torch.frombuffer(bytearray(b[base + s: base + e]), dtype=torch.float32).reshape(v['shape'])
        sd[k].copy_(t); loaded.append(k)
    missing = [k for k in sd if k not in loaded]
    print('loaded', len(loaded), 'missing', missing, file=sys.stderr)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('name'); ap.add_argument('--data', required=True); ap.add_argument('--vocab', required=True); ap.add_argument('--init', default='none'); ap.add_argument('--paradigm', default='pairwise')
    ap.add_argument('--steps', type=int, default=4000); ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--dim', type=int, default=64); ap.add_argument('--layers', type=int, default=4); ap.add_argument('--heads', type=int, default=4); ap.add_argument('--sc', type=int, default=16)
    ap.add_argument('--media-std', type=float, default=0.3); ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--eval-every', type=int, default=500); ap.add_argument('--paired', type=int, default=0)
    ap.add_argument('--mix', type=float, default=0.0, help='share of each batch given to pointwise pairs (pairwise runs)')
    ap.add_argument('--ntrain', type=int, default=0); ap.add_argument('--seed', type=int, default=0); ap.add_argument('--out', default='.'); ap.add_argument('--deadline', type=float, default=1e9)
    a = ap.parse_args()
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(a.seed)
    tr, ev = load_split(a.data, 'train', dev), {s: load_split(a.data, s, dev) for s in ('id', 'ood')}
    if a.ntrain: tr['n'] = a.ntrain
    vocab = json.load(open(a.vocab))['vocab']; V = len(vocab); YES, NO = vocab.index('yes'), vocab.index('no')
    m = Vlm(V, a.dim, a.layers, a.heads, a.sc, a.media_std).to(dev)
    if a.init != 'none': load_ckpt(m, a.init)
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2 and 'norm' not in n]
    nodecay = [p for n, p in m.named_parameters() if not (p.dim() >= 2 and 'norm' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': nodecay, 'weight_decay': 0}], lr=a.lr)
    def lr_at(s):
        if s < 50: return a.lr * (s + 1) / 50
        p = (s - 50) / max(1, a.steps - 50); return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))
    g = torch.Generator(device='cpu').manual_seed(a.seed)
    def pairwise_loss(idx):
        # both orders of each pair; yes when the candidate is the chosen one
        n = len(idx); flip = torch.randint(0, 2, (n,), generator=g).to(dev).bool() if not a.paired else None
        im = tr['img'][idx]; ids = tr['pw'][idx]
        if a.paired:
            ids = torch.cat([ids, ids]); ch = torch.cat([im[:, 0], im[:, 1]]); rj = torch.cat([im[:, 1], im[:, 0]])
            cand, ref = ch, rj; yes = torch.cat([torch.ones(n), torch.zeros(n)]).to(dev).bool()
        else:
            cand = torch.where(flip[:, None, None, None], im[:, 1], im[:, 0]); ref = torch.where(flip[:, None, None, None], im[:, 0], im[:, 1]); yes = ~flip
        h = m(ids, [ref, cand], ['reference', 'candidate'])
        logits = m.head(h)
        tgt = torch.where(yes, torch.tensor(YES, device=dev), torch.tensor(NO, device=dev))
        return F.cross_entropy(logits, tgt)
    def pointwise_loss(idx, bt=False):
        n = len(idx); im = tr['img'][idx]; ids = tr['pt'][idx]
        h = m(torch.cat([ids, ids]), [torch.cat([im[:, 0], im[:, 1]])], ['candidate'])
        if bt:
            s = m.scalar(h).squeeze(-1); return -F.logsigmoid(s[:n] - s[n:]).mean()
        lg = m.head(h); mg = lg[:, YES] - lg[:, NO]
        btl = -F.logsigmoid(mg[:n] - mg[n:]).mean()
        tgt = torch.cat([torch.full((n,), YES), torch.full((n,), NO)]).to(dev)
        return btl + 0.5 * F.cross_entropy(lg, tgt)
    @torch.no_grad()
    def evaluate(d):
        m.eval(); ok = []
        for i in range(0, d['n'], 150):
            im = d['img'][i:i + 150]
            if a.paradigm == 'pairwise':
                ids = d['pw'][i:i + 150]
                l1 = m.head(m(ids, [im[:, 1], im[:, 0]], ['reference', 'candidate'])); l2 = m.head(m(ids, [im[:, 0], im[:, 1]], ['reference', 'candidate']))
                p1 = torch.sigmoid(l1[:, YES] - l1[:, NO]); p2 = torch.sigmoid(l2[:, YES] - l2[:, NO])
                ok.append(((p1 + 1 - p2) / 2 > 0.5))
            else:
                ids = d['pt'][i:i + 150]
                h1 = m(ids, [im[:, 0]], ['candidate']); h2 = m(ids, [im[:, 1]], ['candidate'])
                if a.paradigm == 'bt': s1, s2 = m.scalar(h1).squeeze(-1), m.scalar(h2).squeeze(-1)
                else:
                    l1, l2 = m.head(h1), m.head(h2); s1, s2 = l1[:, YES] - l1[:, NO], l2[:, YES] - l2[:, NO]
                ok.append(s1 > s2)
        ok = torch.cat(ok).cpu().numpy(); m.train()
        tags = {}
        for t, o in zip(d['tags'], ok): tags.setdefault(t, []).append(o)
        return float(ok.mean()), {t: round(float(np.mean(v)), 3) for t, v in tags.items()}
    log = open(f'{a.out}/{a.name}.jsonl', 'w'); t0 = time.time(); run = 0
    for step in range(a.steps + 1):
        late = time.time() - t0 > a.deadline
        if step % a.eval_every == 0 or step == a.steps or late:
            ida, idt = evaluate(ev['id']); ooda, oodt = evaluate(ev['ood'])
            trn = {**tr, 'n': 300}; tra, _ = evaluate(trn)
            rec = dict(step=step, loss=run / max(1, min(step, a.eval_every)), id=ida, ood=ooda, train=tra, idTags=idt, oodTags=oodt, sec=round(time.time() - t0, 1))
            print(a.name, json.dumps(rec), flush=True); log.write(json.dumps(rec) + '\n'); log.flush(); run = 0
        if step == a.steps or late: break
        for pg in opt.param_groups: pg['lr'] = lr_at(step)
        bsz = a.batch // 2 if (a.paradigm != 'pairwise' or a.paired) else a.batch
        idx = torch.randint(0, tr['n'], (bsz,), generator=g).to(dev)
        if a.paradigm == 'pairwise':
            loss = pairwise_loss(idx)
            if a.mix > 0:
                k = max(1, int(bsz * a.mix)); loss = (1 - a.mix) * loss + a.mix * pointwise_loss(idx[:k])
        else: loss = pointwise_loss(idx, a.paradigm == 'bt')
        opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); run += loss.item()

if __name__ == '__main__': main()
