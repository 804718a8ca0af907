"""PyTorch twin of rewarddance's tiny VLM (conv stem) and its reward-model recipe, for recipe sweeps
on a GPU: it can pretrain a preset on `vlm pretrain`'s grounded items (captions, visual questions,
per-token class words), or load a rewarddance checkpoint, then fine-tune one paradigm on world pairs
and print ID/OOD/train accuracy (evaluated as `rm eval` does) every --eval-every steps. Its forward
matches the TypeScript model to 1e-4 (P(yes) of the same pairs). Data: bench/export-twin-pairs.ts.
Usage: python3 bench/twins/rm_recipe.py NAME --data DIR --vocab VOCAB.json [--preset rd-m]
  [--init CKPT/model.safetensors|PRE.pt] [--pretrain-steps N --save-pre PRE.pt]
  [--paradigm pairwise|pointwise|bt] [--no-instruction] [--examples 1] [--cot 1] [--mix 0.5]
  [--steps N] [--lr X] [--out DIR]
Writes OUT/NAME.jsonl. DESIGN.md section 9 lists the sweeps and their results."""
import argparse, gzip, json, math, os, struct, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

ROLES = ['prompt', 'text', 'answer', 'reference', 'candidate', 'condition', 'example-reference', 'example-candidate']
PRESETS = {'rd-xs': (32, 2, 2, 8), 'rd-s': (48, 3, 3, 12), 'rd-m': (64, 4, 4, 16), 'rd-l': (128, 6, 4, 24), 'rd-xl': (256, 8, 8, 32)}
ANS, IGNORE = 3, -100

def ints(path, shape):
    return torch.tensor(np.frombuffer(gzip.open(path).read(), np.int32).reshape(shape).copy()).long()

def images(path, shape):
    return torch.tensor(np.frombuffer(gzip.open(path).read(), np.uint8).reshape(shape).copy())

def load_split(data, name, dev):
    d = f'{data}/{name}'
    meta = json.load(open(d + '-meta.json')); n, L = meta['n'], meta['L']
    out = dict(n=n, tags=meta['tags'], img=images(d + '-img.gz', (n, 2, 32, 32, 3)).permute(0, 1, 4, 2, 3).float().div(255).to(dev))
    for k in ('pw', 'pt', 'p0', 'ex', 'cy', 'cn'):
        if os.path.exists(f'{d}-{k}.gz'): out[k] = ints(f'{d}-{k}.gz', (n, L)).to(dev)
    return out

def load_pretrain(data, dev):
    meta = json.load(open(f'{data}/pre-meta.json')); n, L = meta['n'], meta['L']
    return dict(n=n, img=images(f'{data}/pre-img.gz', (n, 32, 32, 3)).permute(0, 3, 1, 2).float().div(255).to(dev),
                prompt=ints(f'{data}/pre-prompt.gz', (n, L)).to(dev), answer=ints(f'{data}/pre-answer.gz', (n, L)).to(dev),
                ground=ints(f'{data}/pre-ground.gz', (n, 64)).to(dev))

def trim(ids, pad=0):
    """Drops trailing columns that are padding in every row."""
    used = (ids != pad).any(0).nonzero()
    return ids[:, :int(used.max()) + 1] if len(used) else ids[:, :1]

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
        return s.patchify(x).flatten(2).transpose(1, 2) + s.pos.weight

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
        s.set_media_std(media_std)
    def set_media_std(s, std):
        """A media role table of this scale (0 shares the text roles), fresh as when `rm train` adds one."""
        s.media_std = std
        nn.init.normal_(s.media_role.weight, 0, std if std > 0 else 0.02)
    def rv(s, role, media=False):
        t = s.media_role if (media and s.media_std > 0) else s.role
        return t.weight[ROLES.index(role)]
    def seq(s, segs, ans_targets=None):
        """segs: [('text', ids (B,L) 0-padded, role) | ('img', pixels (B,3,32,32), role)], then <ans> and the
        answer inputs (targets shifted, each its own segment). Block-causal by segment, padded keys masked.
        Returns final hidden states (B,T,D) and the index of <ans>."""
        parts, seg, pads = [], [], []
        for k, (kind, v, role) in enumerate(segs):
            if kind == 'text':
                parts.append(s.tok(v) + s.text_pos.weight[:v.shape[1]] + s.rv(role)); pads.append(v == 0)
            else:
                e = s.encoder(v) + s.rv(role, True); parts.append(e); pads.append(torch.zeros(e.shape[:2], dtype=torch.bool, device=e.device))
            seg += [k] * parts[-1].shape[1]
        b, dev = parts[0].shape[0], parts[0].device
        parts.append(s.tok(torch.full((b, 1), ANS, device=dev)) + s.text_pos.weight[:1] + s.rv('answer'))
        pads.append(torch.zeros(b, 1, dtype=torch.bool, device=dev)); seg.append(len(segs)); ans_at = len(seg) - 1
        if ans_targets is not None and ans_targets.shape[1] > 1:
            inp = ans_targets[:, :-1]; n = inp.shape[1]
            parts.append(s.tok(inp.clamp(min=0)) + s.text_pos.weight[1:1 + n] + s.rv('answer'))
            pads.append(ans_targets[:, 1:] == IGNORE); seg += [len(segs) + 1 + j for j in range(n)]
        x = torch.cat(parts, 1); seg = torch.tensor(seg, device=dev); pad = torch.cat(pads, 1)
        blocked = (seg[None, :] > seg[:, None])[None] | pad[:, None, :]
        mask = torch.zeros(b, 1, *blocked.shape[1:], device=dev).masked_fill(blocked[:, None], float('-inf'))
        for blk in s.blocks: x = blk(x, mask)
        return s.lnf(x), ans_at
    def forward(s, ids, imgs, roles):
        """Hidden state at <ans> (B,D) of [prompt ids][images with roles][<ans>]."""
        h, at = s.seq([('text', trim(ids), 'prompt')] + [('img', im, r) for im, r in zip(imgs, roles)])
        return h[:, at]

def load_ckpt(m, path):
    if path.endswith('.pt'):
        print('loaded', path, file=sys.stderr); return m.load_state_dict(torch.load(path, map_location='cpu'))
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n
    sd = m.state_dict(); loaded = []
    for k, v in h.items():
        if k == '__metadata__' or k not in sd: continue
        s, e = v['data_offsets']
        sd[k].copy_(torch.frombuffer(bytearray(b[base + s: base + e]), dtype=torch.float32).reshape(v['shape'])); loaded.append(k)
    print('loaded', len(loaded), 'missing', [k for k in sd if k not in loaded], file=sys.stderr)

def optimizer(m, lr):
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2 and 'norm' not in n]
    nodecay = [p for n, p in m.named_parameters() if not (p.dim() >= 2 and 'norm' not in n)]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': nodecay, 'weight_decay': 0}], lr=lr)

def lr_at(peak, steps, s):
    if s < 50: return peak * (s + 1) / 50
    p = (s - 50) / max(1, steps - 50); return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))

def pretrain(m, pre, a, g, dev, log):
    """`vlm pretrain`: next-token loss on answers (per token) + 0.5 x grounding loss on image tokens."""
    opt = optimizer(m, a.pretrain_lr); t0 = time.time(); run = 0
    for step in range(a.pretrain_steps):
        for pg in opt.param_groups: pg['lr'] = lr_at(a.pretrain_lr, a.pretrain_steps, step)
        idx = torch.randint(0, pre['n'], (a.batch,), generator=g).to(dev)
        tg = trim(pre['answer'][idx], IGNORE)
        h, at = m.seq([('text', trim(pre['prompt'][idx]), 'prompt'), ('img', pre['img'][idx], 'candidate')], tg)
        lg = m.head(h); lp = at - 64  # image tokens sit just before <ans>
        loss = F.cross_entropy(lg[:, at:at + tg.shape[1]].reshape(-1, lg.shape[-1]), tg.reshape(-1), ignore_index=IGNORE)
        loss = loss + 0.5 * F.cross_entropy(lg[:, lp:at].reshape(-1, lg.shape[-1]), pre['ground'][idx].reshape(-1), ignore_index=IGNORE)
        opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); run += loss.item()
        if (step + 1) % 500 == 0 or step + 1 == a.pretrain_steps:
            rec = dict(pretrainStep=step + 1, loss=round(run / ((step % 500) + 1), 4), sec=round(time.time() - t0, 1)); run = 0
            print(a.name, json.dumps(rec), flush=True); log.write(json.dumps(rec) + '\n'); log.flush()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('name'); ap.add_argument('--data', required=True); ap.add_argument('--vocab', required=True); ap.add_argument('--init', default='none'); ap.add_argument('--paradigm', default='pairwise')
    ap.add_argument('--steps', type=int, default=4000); ap.add_argument('--lr', type=float, default=3e-4)
    ap.add_argument('--preset', default='rd-m', choices=list(PRESETS))
    ap.add_argument('--pretrain-steps', type=int, default=0); ap.add_argument('--pretrain-lr', type=float, default=2e-3); ap.add_argument('--save-pre', default='')
    ap.add_argument('--media-std', type=float, default=0.3); ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--eval-every', type=int, default=500); ap.add_argument('--paired', type=int, default=0)
    ap.add_argument('--mix', type=float, default=0.0, help='share of each batch given to pointwise pairs (pairwise runs)')
    ap.add_argument('--no-instruction', action='store_true', help='pointwise questions without the instruction (context none)')
    ap.add_argument('--examples', type=int, default=0, help='1: one solved in-context example pair before the query (pairwise)')
    ap.add_argument('--cot', type=int, default=0, help='1: decision-first rationale tokens in the answer (pairwise)')
    ap.add_argument('--ntrain', type=int, default=0); ap.add_argument('--seed', type=int, default=0); ap.add_argument('--out', default='.'); ap.add_argument('--deadline', type=float, default=1e9)
    a = ap.parse_args()
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.manual_seed(a.seed)
    vocab = json.load(open(a.vocab))['vocab']; V = len(vocab); YES, NO, ANSWER = vocab.index('yes'), vocab.index('no'), vocab.index('answer')
    d, layers, heads, sc = PRESETS[a.preset]
    g = torch.Generator(device='cpu').manual_seed(a.seed)
    log = open(f'{a.out}/{a.name}.jsonl', 'w')
    m = Vlm(V, d, layers, heads, sc, 0.0 if a.pretrain_steps else a.media_std).to(dev)
    if a.init != 'none': load_ckpt(m, a.init)
    if a.pretrain_steps:
        pretrain(m, load_pretrain(a.data, dev), a, g, dev, log)
        if a.save_pre: torch.save(m.state_dict(), a.save_pre + '.tmp'); os.replace(a.save_pre + '.tmp', a.save_pre)
        m.set_media_std(a.media_std)
    print(a.name, 'params', sum(p.numel() for p in m.parameters() if p is not m.scalar.weight and p is not m.scalar.bias), file=sys.stderr)
    tr, ev = load_split(a.data, 'train', dev), {s: load_split(a.data, s, dev) for s in ('id', 'ood')}
    if a.ntrain: tr['n'] = a.ntrain
    pt_key = 'p0' if a.no_instruction else 'pt'
    opt = optimizer(m, a.lr)
    ex_g = torch.Generator(device='cpu').manual_seed(a.seed + 7)
    def example_segs(d, idx, gen):
        """One solved example per row: the previous pair of the split, shown in a random order, and its answer."""
        j = (idx - 1) % d['n']; yes = torch.randint(0, 2, (len(idx),), generator=gen).to(dev).bool()
        im = d['img'][j]; ref = torch.where(yes[:, None, None, None], im[:, 1], im[:, 0]); cand = torch.where(yes[:, None, None, None], im[:, 0], im[:, 1])
        ans = torch.stack([torch.full_like(j, ANSWER), torch.where(yes, torch.full_like(j, YES), torch.full_like(j, NO))], 1)
        return [('text', trim(d['ex'][j]), 'text'), ('img', ref, 'example-reference'), ('img', cand, 'example-candidate'), ('text', ans, 'text')]
    def pairwise_segs(d, idx, ref, cand, gen):
        pre = [('text', trim(d['pw'][idx]), 'prompt')] + (example_segs(d, idx, gen) if a.examples else [])
        return pre + [('img', ref, 'reference'), ('img', cand, 'candidate')]
    def pairwise_loss(idx):
        # both orders of each pair over the run; yes when the candidate is the chosen one
        n = len(idx); im = tr['img'][idx]
        if a.paired:
            idx = torch.cat([idx, idx]); cand = torch.cat([im[:, 0], im[:, 1]]); ref = torch.cat([im[:, 1], im[:, 0]])
            yes = torch.cat([torch.ones(n), torch.zeros(n)]).to(dev).bool()
        else:
            flip = torch.randint(0, 2, (n,), generator=g).to(dev).bool()
            cand = torch.where(flip[:, None, None, None], im[:, 1], im[:, 0]); ref = torch.where(flip[:, None, None, None], im[:, 0], im[:, 1]); yes = ~flip
        segs = pairwise_segs(tr, idx, ref, cand, ex_g)
        if a.cot:
            tg = trim(torch.where(yes[:, None], tr['cy'][idx], tr['cn'][idx]), IGNORE)
            h, at = m.seq(segs, tg); lg = m.head(h[:, at:at + tg.shape[1]])
            w = torch.where(tg == IGNORE, 0.0, 0.3); w[:, 0] = 1.0
            ce = F.cross_entropy(lg.reshape(-1, V), tg.reshape(-1), ignore_index=IGNORE, reduction='none')
            return (ce * w.reshape(-1)).sum() / w.sum()
        h, at = m.seq(segs); logits = m.head(h[:, at])
        return F.cross_entropy(logits, torch.where(yes, torch.tensor(YES, device=dev), torch.tensor(NO, device=dev)))
    def pointwise_loss(idx, bt=False):
        n = len(idx); im = tr['img'][idx]; ids = tr[pt_key][idx]
        h = m(torch.cat([ids, ids]), [torch.cat([im[:, 0], im[:, 1]])], ['candidate'])
        if bt:
            s = m.scalar(h).squeeze(-1); return -F.logsigmoid(s[:n] - s[n:]).mean()
        lg = m.head(h); mg = lg[:, YES] - lg[:, NO]
        tgt = torch.cat([torch.full((n,), YES), torch.full((n,), NO)]).to(dev)
        return -F.logsigmoid(mg[:n] - mg[n:]).mean() + 0.5 * F.cross_entropy(lg, tgt)
    @torch.no_grad()
    def evaluate(d):
        m.eval(); ok = []; gen = torch.Generator(device='cpu').manual_seed(99)
        for i in range(0, d['n'], 150):
            idx = torch.arange(i, min(i + 150, d['n']), device=dev); im = d['img'][idx]
            if a.paradigm == 'pairwise':
                st = gen.get_state()
                h1, at = m.seq(pairwise_segs(d, idx, im[:, 1], im[:, 0], gen)); gen.set_state(st)  # same examples in both orders
                h2, _ = m.seq(pairwise_segs(d, idx, im[:, 0], im[:, 1], gen))
                l1, l2 = m.head(h1[:, at]), m.head(h2[:, at])
                p1 = torch.sigmoid(l1[:, YES] - l1[:, NO]); p2 = torch.sigmoid(l2[:, YES] - l2[:, NO])
                ok.append(((p1 + 1 - p2) / 2 > 0.5))
            else:
                ids = d[pt_key][idx]
                h1 = m(ids, [im[:, 0]], ['candidate']); h2 = m(ids, [im[:, 1]], ['candidate'])
                if a.paradigm == 'bt': s1, s2 = m.scalar(h1).squeeze(-1), m.scalar(h2).squeeze(-1)
                else:
                    l1, l2 = m.head(h1), m.head(h2); s1, s2 = l1[:, YES] - l1[:, NO], l2[:, YES] - l2[:, NO]
                ok.append(s1 > s2)
        ok = torch.cat(ok).cpu().numpy(); m.train()
        tags = {}
        for t, o in zip(d['tags'], ok): tags.setdefault(t, []).append(o)
        return float(ok.mean()), {t: round(float(np.mean(v)), 3) for t, v in tags.items()}
    t0 = time.time(); run = 0
    for step in range(a.steps + 1):
        late = time.time() - t0 > a.deadline
        if step % a.eval_every == 0 or step == a.steps or late:
            ida, idt = evaluate(ev['id']); ooda, oodt = evaluate(ev['ood'])
            tra, _ = evaluate({**tr, 'n': 300})
            rec = dict(step=step, loss=run / max(1, min(step, a.eval_every)), id=ida, ood=ooda, train=tra, idTags=idt, oodTags=oodt, sec=round(time.time() - t0, 1))
            print(a.name, json.dumps(rec), flush=True); log.write(json.dumps(rec) + '\n'); log.flush(); run = 0
        if step == a.steps or late: break
        for pg in opt.param_groups: pg['lr'] = lr_at(a.lr, a.steps, step)
        bsz = a.batch // 2 if (a.paradigm != 'pairwise' or a.paired) else a.batch
        idx = torch.randint(0, tr['n'], (bsz,), generator=g).to(dev)
        if a.paradigm == 'pairwise':
            loss = pairwise_loss(idx)
            if a.mix > 0:
                k = max(1, int(bsz * a.mix)); loss = (1 - a.mix) * loss + a.mix * pointwise_loss(idx[:k])
        else: loss = pointwise_loss(idx, a.paradigm == 'bt')
        opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); run += loss.item()

if __name__ == '__main__': main()
