D=runs/twinL; O=/tmp/l2; mkdir -p $O; R="python3 bench/twins/rm_recipe.py"; C="--data $D --vocab $D/vocab.json --out $O --eval-every 1000"
$R m-pairwise $C --init $D/pre-rd-m.pt --paradigm pairwise --mix 0.5 --steps 5000 --deadline 220 > $O/a.log 2>&1 &
$R m-examples $C --init $D/pre-rd-m.pt --paradigm pairwise --mix 0.5 --examples 1 --steps 5000 --deadline 220 > $O/b.log 2>&1 &
$R m-examples-cot $C --init $D/pre-rd-m.pt --paradigm pairwise --mix 0.5 --examples 1 --cot 1 --steps 5000 --deadline 220 > $O/c.log 2>&1 &
$R m-cot $C --init $D/pre-rd-m.pt --paradigm pairwise --mix 0.5 --cot 1 --steps 5000 --deadline 220 > $O/e.log 2>&1 &
( $R xl-pre --preset rd-xl --pretrain-steps 3000 --pretrain-lr 7e-4 --save-pre /tmp/xl.pt --steps 0 $C > $O/d.log 2>&1
  $R xl-pointwise $C --preset rd-xl --init /tmp/xl.pt --paradigm pointwise --steps 4000 --deadline 140 > $O/f.log 2>&1 &
  $R xl-bt $C --preset rd-xl --init /tmp/xl.pt --paradigm bt --steps 4000 --deadline 140 > $O/g.log 2>&1 & wait ) &
wait; cat $O/*.log > $OUT/console.log; grep -h Traceback -A3 $O/*.log | head; for f in $O/*.jsonl; do echo "$(basename $f) $(tail -n1 $f | cut -c1-90)"; done
