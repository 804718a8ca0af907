#!/usr/bin/env node
/**
 * The `rewarddance` command line. Each command lives in commands/*.ts as a thin shell over a
 * library function and registers itself here.
 */
import { Command } from 'commander';
import { register as data } from './commands/data.js';
import { register as demo } from './commands/demo.js';
import { register as evalCmd } from './commands/eval.js';
import { register as gen } from './commands/gen.js';
import { register as report } from './commands/report.js';
import { register as rl } from './commands/rl.js';
import { register as rm } from './commands/rm.js';
import { register as score } from './commands/score.js';
import { register as select } from './commands/select.js';
import { register as selfcheck } from './commands/selfcheck.js';
import { register as oracle } from './commands/oracle.js';
import { register as world } from './commands/world.js';
import { register as serve } from './commands/serve.js';
import { register as study } from './commands/study.js';

const program = new Command();
program
  .name('rewarddance')
  .description('Generative reward models for image and video generation (RewardDance), on a libtorch core')
  .version('0.1.0')
  .showHelpAfterError();

// One line per command module (keep alphabetical).
data(program);
demo(program);
evalCmd(program);
gen(program);
report(program);
rl(program);
rm(program);
score(program);
select(program);
selfcheck(program);
oracle(program);
world(program);
serve(program);
study(program);

await program.parseAsync(process.argv);
