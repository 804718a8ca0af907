"""Summarises the console logs of bench/twins/ladder.sh (or any rm_recipe.py runs sharing a log):
one Markdown row per run with ID / OOD accuracy (%) at each evaluation and the per-tag accuracy of
its last evaluation. Usage: python3 bench/twins/ladder_table.py LOG [LOG...]"""
import collections, json, sys

def main():
    runs = collections.OrderedDict(); pre = {}
    for path in sys.argv[1:]:
        for line in open(path):
            name, _, js = line.partition(' ')
            if not js.startswith('{'): continue
            r = json.loads(js)
            if 'pretrainStep' in r: pre[name] = r
            elif 'step' in r and r['step'] > 0: runs.setdefault(name, []).append(r)
    print('| run | ID / OOD (%) at step | last: ID tags | last: OOD tags |\n|---|---|---|---|')
    for n, rs in runs.items():
        curve = ', '.join(f"{r['step']}: {r['id'] * 100:.0f} / {r['ood'] * 100:.0f}" for r in rs)
        tags = lambda t: ' '.join(f"{k.replace('_object', '').replace('color_attr', 'attr')} {v * 100:.0f}" for k, v in t.items())
        print(f"| {n} | {curve} | {tags(rs[-1]['idTags'])} | {tags(rs[-1]['oodTags'])} |")
    if pre:
        print('\n| pretraining | final loss | steps | seconds |\n|---|---|---|---|')
        for n, r in pre.items(): print(f"| {n} | {r['loss']} | {r['pretrainStep']} | {r['sec']} |")

if __name__ == '__main__': main()
