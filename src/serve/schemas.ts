/**
 * Request and response schemas of the reward routes (TypeBox: JSON Schema for fastify's
 * validator and static types for the handlers). Chat-completion schemas live with their route
 * in openai-compat.ts.
 */
import { Type, type Static } from 'typebox';
import { COT_MODES } from '../rewards/types.js';
import { TASKS } from '../data/manifest.js';
import { SELECT_METHODS } from '../select/select.js';

/** Most items in one `/v1/rewards` request (a GRPO group of 16 prompts x 64 samples fits). */
export const MAX_ITEMS_PER_REQUEST = 1024;
/** Most candidates in one `/v1/select` request. */
export const MAX_CANDIDATES = 256;
/** Most characters in a prompt or criteria text. */
export const MAX_TEXT_CHARS = 8192;

/** A base64 PNG/JPEG/WebP string (or data URL), or a list of them (video frames). */
export const MediaSchema = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]);

export const RewardItemSchema = Type.Object(
  {
    task: Type.Union(TASKS.map((t) => Type.Literal(t))),
    prompt: Type.String({ maxLength: MAX_TEXT_CHARS }),
    image: MediaSchema,
    reference: Type.Optional(MediaSchema),
    condition: Type.Optional(Type.String({ minLength: 1 })),
    criteria: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
    cot: Type.Optional(Type.Union(COT_MODES.map((m) => Type.Literal(m)))),
    debias: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RewardItem = Static<typeof RewardItemSchema>;

export const RewardsBodySchema = Type.Object(
  {
    model: Type.Optional(Type.String()),
    items: Type.Array(RewardItemSchema, { minItems: 1, maxItems: MAX_ITEMS_PER_REQUEST }),
  },
  { additionalProperties: false },
);
export type RewardsBody = Static<typeof RewardsBodySchema>;

const Num = Type.Union([Type.Number(), Type.Null()]);
export const RewardResultSchema = Type.Object({
  reward: Num,
  pYesVocab: Num,
  logitYes: Num,
  logitNo: Num,
  rationale: Type.Optional(Type.String()),
  positionConsistent: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
});
export type RewardResultBody = Static<typeof RewardResultSchema>;

export const RewardsReplySchema = Type.Object({ model: Type.String(), results: Type.Array(RewardResultSchema) });

export const SelectBodySchema = Type.Object(
  {
    model: Type.Optional(Type.String()),
    /** pointwise (Best-of-N), round-robin (win counts + Bradley-Terry) or knockout; default pointwise. */
    method: Type.Optional(Type.Union(SELECT_METHODS.map((m) => Type.Literal(m)))),
    task: Type.Union(TASKS.map((t) => Type.Literal(t))),
    prompt: Type.String({ maxLength: MAX_TEXT_CHARS }),
    candidates: Type.Array(MediaSchema, { minItems: 1, maxItems: MAX_CANDIDATES }),
    /** A fixed reference: pointwise Best-of-N with a pairwise model. */
    reference: Type.Optional(MediaSchema),
    condition: Type.Optional(Type.String({ minLength: 1 })),
    criteria: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
    cot: Type.Optional(Type.Union(COT_MODES.map((m) => Type.Literal(m)))),
    debias: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SelectBody = Static<typeof SelectBodySchema>;

const Ranked = Type.Object({ index: Type.Integer(), score: Type.Number() });
export const SelectReplySchema = Type.Object({
  model: Type.String(),
  method: Type.String(),
  best: Type.Integer(),
  /** Best first. */
  ranking: Type.Array(Ranked),
  /** Reward-model queries spent. */
  queries: Type.Integer(),
  rewards: Type.Optional(Type.Array(Type.Number())),
  wins: Type.Optional(Type.Array(Type.Number())),
  strengths: Type.Optional(Type.Array(Type.Number())),
  positionConsistency: Type.Optional(Type.Number()),
  matches: Type.Optional(Type.Array(Type.Object({ round: Type.Integer(), a: Type.Integer(), b: Type.Integer(), pA: Type.Number(), winner: Type.Integer() }))),
});

/** The fastify instance type the routes register on (TypeBox type provider, node http). */
export type ServeApp = import('fastify').FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  import('@fastify/type-provider-typebox').TypeBoxTypeProvider
>;
