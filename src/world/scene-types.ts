/**
 * Scene types: objects with a class, colour and box (centre and size as fractions of the
 * image side) on a background. Shared by the renderer, scene sampler, video and captions.
 */
import type { Cut } from './render.js';
import type { Color, Rgb, Shape } from './vocab.js';

/** One object. (x, y) is the box centre and (w, h) its size, all as fractions of the image side. */
export interface SceneObject {
  readonly shape: Shape;
  readonly color: Color;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  /** Part of the shape removed (a quality degradation); absent for intact shapes. */
  readonly cut?: Cut;
  /** True for objects the prompt does not mention (distractors). */
  readonly distractor?: boolean;
}

/** A scene: objects drawn in order on a background (default BACKGROUND_RGB). */
export interface Scene {
  readonly objects: readonly SceneObject[];
  readonly background?: Rgb;
}
