/**
 * Types for gifenc 1.0 (the package ships none). Only what src/data/video.ts uses; gifenc is
 * CommonJS for Node (its functions sit on the default import) but ESM for bundlers such as
 * vitest's (named exports), so src/data/video.ts takes whichever holds the functions.
 */
declare module 'gifenc' {
  /** An RGB palette: up to 256 [r, g, b] entries. */
  export type Palette = number[][];
  export interface QuantizeOptions {
    readonly format?: 'rgb565' | 'rgb444' | 'rgba4444';
  }
  export interface WriteFrameOptions {
    readonly palette?: Palette;
    /** Frame delay in milliseconds. */
    readonly delay?: number;
    /** 0 repeats forever, -1 plays once. */
    readonly repeat?: number;
  }
  export interface Encoder {
    writeFrame(index: Uint8Array, width: number, height: number, opts?: WriteFrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  export function GIFEncoder(): Encoder;
  /** Quantizes RGBA pixels (4 bytes each) to a palette of at most `maxColors`. */
  export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, opts?: QuantizeOptions): Palette;
  /** Maps RGBA pixels to palette indices. */
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: QuantizeOptions['format']): Uint8Array;
  /** The CommonJS build (what Node's default import gives) holds every function. */
  const lib: { GIFEncoder: typeof GIFEncoder; quantize: typeof quantize; applyPalette: typeof applyPalette };
  export default lib;
}
