/**
 * The procedural visual world, as a library: vocabulary, GenEval metadata I/O, prompt
 * sampling, scenes, rendering, degradations, video, the oracle, captions and questions,
 * preference pairs (in memory and on disk) and the prompt-blind floor.
 */
export * from './vocab.js';
export * from './types.js';
export type { Scene, SceneObject } from './scene-types.js';
export { readGeneval, writeGeneval, parseGeneval, validateMetadata, mapClasses, readClassMap, roundRobinClassMap, promptFor, clausePhrase, type ClassMap } from './geneval.js';
export { samplePrompts, drawPrompt, isHeldOut, parseTags, type PromptOptions, type PromptDomain } from './prompts.js';
export { sceneFor, scoreScene, objectDetection, ID_LAYOUT, OOD_LAYOUT, PLAIN_LAYOUT, type LayoutStyle, type SceneOptions } from './scene.js';
export { render, shapeCoverage, DEFAULT_SIZE, type RenderOptions } from './render.js';
export { degradeImage, breakScene, DEGRADATIONS, type Degradation, type DegradationSpec } from './degrade.js';
export { analyzeImage, scoreMetadata, type ImageAnalysis, type OracleObject, type QualityScore } from './oracle.js';
export { scoreDetections, relativePosition, type Detection, type ClauseResult, type MetadataScore } from './score.js';
export { oracleConfusion, type ConfusionReport } from './confusion.js';
export { captionScene, colorFilledPrompt, visualQuestions, alignmentRationale, qualityRationale, countWord, WORLD_WORDS, type VisualQa, type RationaleNames } from './captions.js';
export { makePairs, renderDegraded, styleFor, type WorldPair, type PairOptions, type CandidateSource } from './pairs.js';
export { writePairs, writeSamples, pairRecord } from './pairs-disk.js';
export { floorOf, blindFeatures, BLIND_RULES, type FloorReport, type FloorPair } from './floor.js';
export {
  clipFor, renderClip, clipScene, moverAt, drawVideoPrompt, videoPromptFor, motionPhrase, isHeldOutMotion, videoFrames, checkFrames,
  DEFAULT_FRAMES, MIN_FRAMES, MAX_FRAMES, VIDEO_TAGS, SPEED_TRAVEL, type Clip, type Mover, type VideoTask, type ClipOptions,
} from './video.js';
export { degradeClip, TEMPORAL_DEGRADATIONS, type TemporalDegradation, type TemporalSpec } from './video-degrade.js';
export {
  analyzeVideo, scoreVideo, scoreClip, trackObjects, trackMotion, clipTracks, frameMetadata, scoreMotion, scoreConsistency,
  type VideoAnalysis, type VideoScore, type Track, type TrackPoint, type TrackMotion, type ConsistencyScore,
} from './video-oracle.js';
export { makeVideoPairs, MOTION_ERRORS, type MotionError } from './video-pairs.js';
export { videoConfusion, type VideoConfusionReport } from './video-confusion.js';

