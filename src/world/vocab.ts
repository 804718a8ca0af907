/**
 * The world's closed vocabulary: shape classes, GenEval's ten colours with their RGB values,
 * the background, number words and the held-out combinations that define the OOD split.
 */
import { InputError } from '../errors.js';

/** Shape classes. Chosen to stay distinguishable at 8-12 px (hexagon was dropped: it reads as a circle). */
export const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross', 'diamond', 'ring', 'moon'] as const;
export type Shape = (typeof SHAPES)[number];

/** Plurals as prompts write them ("two crosses"). */
export const SHAPE_PLURALS: Readonly<Record<Shape, string>> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  star: 'stars',
  cross: 'crosses',
  diamond: 'diamonds',
  ring: 'rings',
  moon: 'moons',
};

/** GenEval's ten colours, in GenEval's order. */
export const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'brown', 'black', 'white'] as const;
export type Color = (typeof COLORS)[number];

export type Rgb = readonly [number, number, number];

/**
 * Palette. Tuned so that every pair of colours is at least ~80 apart in RGB and every colour is
 * at least ~90 from the background, so an anti-aliased edge (a mix with the background) is never
 * nearer another palette colour than its own.
 */
export const COLOR_RGB: Readonly<Record<Color, Rgb>> = {
  red: [215, 25, 30],
  orange: [250, 135, 0],
  yellow: [245, 225, 20],
  green: [30, 160, 50],
  blue: [30, 70, 225],
  purple: [130, 40, 180],
  pink: [250, 140, 200],
  brown: [110, 60, 20],
  black: [15, 15, 15],
  white: [250, 250, 250],
};

/** Mid-grey with a slight blue tint: all ten colours (black and white included) stand out on it. */
export const BACKGROUND_RGB: Rgb = [140, 150, 160];

/** GenEval writes counts 2-4 as words; 5 appears only in the OOD split (an unseen count). */
export const NUMBER_WORDS: Readonly<Record<number, string>> = { 1: 'one', 2: 'two', 3: 'three', 4: 'four', 5: 'five' };

/** Counts used by counting prompts in train/id, and in ood (which adds an unseen count). */
export const ID_COUNTS = [2, 3, 4] as const;
export const OOD_COUNTS = [2, 3, 4, 5] as const;

/** Checks a class name against the vocabulary; the error lists the known classes. */
export function asShape(name: string, where = 'class'): Shape {
  if ((SHAPES as readonly string[]).includes(name)) return name as Shape;
  throw new InputError(`${where}: unknown class '${name}'; known classes: ${SHAPES.join(', ')} (map other classes with a class map)`);
}

/** Checks a colour name; the error lists the known colours. */
export function asColor(name: string, where = 'color'): Color {
  if ((COLORS as readonly string[]).includes(name)) return name as Color;
  throw new InputError(`${where}: unknown colour '${name}'; known colours: ${COLORS.join(', ')}`);
}

/**
 * Held-out (class, colour) combinations: about one in five, spread so that every class and
 * every colour keeps most of its combinations in training. Train/id never render them; ood
 * prompts use them.
 * @example isHeldOutCombo('circle', 'red') // false
 */
export function isHeldOutCombo(shape: Shape, color: Color): boolean {
  return (SHAPES.indexOf(shape) * 3 + COLORS.indexOf(color)) % 5 === 0;
}

/**
 * Held-out unordered class pairs for two-object prompts (two_object, position, color_attr):
 * train/id never pair these classes; ood prompts do.
 */
export function isHeldOutClassPair(a: Shape, b: Shape): boolean {
  const i = SHAPES.indexOf(a);
  const j = SHAPES.indexOf(b);
  return i !== j && (i + j) % 4 === 1;
}
