/**
 * The model worker's entry (a worker_threads thread started by worker-model.ts). It owns the
 * model: loads the checkpoint here, so the native addon, the weights and every tensor live on
 * this thread; sets libtorch's intra-op threads; then answers score / complete / memory
 * requests one at a time and disposes the model on 'close'. The main thread meanwhile parses
 * HTTP and decodes images for the next batch.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CheckpointError } from '../errors.js';
import type { RewardModel } from '../rewards/types.js';
import { isChatModel, type ChatModel } from './chat-model.js';
import { toWire, type FromWorker, type ToWorker, type WorkerData, type WorkerModelSource } from './worker-protocol.js';

async function loadModel(source: WorkerModelSource): Promise<RewardModel> {
  if (source.kind === 'checkpoint') {
    const { LocalVlmRewardModel } = await import('../rewards/generative.js');
    return LocalVlmRewardModel.load(source.dir);
  }
  const mod = (await import(source.url)) as Record<string, unknown>;
  const factory = mod[source.exportName];
  if (typeof factory !== 'function') throw new CheckpointError(`${source.url} has no function export '${source.exportName}' to build the worker's model`);
  return (await (factory as (options: unknown) => RewardModel | Promise<RewardModel>)(source.options)) satisfies RewardModel;
}

async function main(): Promise<void> {
  if (isMainThread || !parentPort) throw new Error('src/serve/model-worker.ts runs inside a worker thread; start it with WorkerRewardModel.start()');
  const port = parentPort;
  const data = workerData as WorkerData;
  const send = (m: FromWorker): void => port.postMessage(m);
  let model: RewardModel;
  try {
    const { setNumThreads } = await import('../tensor/index.js');
    setNumThreads(data.threads);
    model = await loadModel(data.source);
  } catch (err) {
    send({ type: 'load-failed', error: toWire(err) });
    port.close();
    return;
  }
  const chat: ChatModel | undefined = isChatModel(model) ? model : undefined;
  const { liveTensors, memoryStats } = await import('../tensor/index.js');

  // One request at a time, in arrival order: the forward pass is synchronous anyway, and a
  // chain keeps a slow request from being overtaken.
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(async () => {
      if (m.type === 'close') {
        await model.close?.();
        port.close();
        return;
      }
      try {
        if (m.type === 'score') send({ type: 'result', id: m.id, value: await model.score(m.queries) });
        else if (m.type === 'complete') {
          if (!chat) throw new CheckpointError(`model '${model.id}' cannot complete chats`);
          send({ type: 'result', id: m.id, value: await chat.complete(m.requests) });
        } else send({ type: 'result', id: m.id, value: { liveTensors: liveTensors(), liveBytes: memoryStats().liveBytes } });
      } catch (err) {
        send({ type: 'failed', id: m.id, error: toWire(err) });
      }
    });
  });
  send({ type: 'ready', modelId: model.id, mode: model.mode, chat: chat !== undefined });
}

await main();
