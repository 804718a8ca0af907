/**
 * A word-level tokenizer over a closed vocabulary (the world's words, the reward instructions,
 * yes/no and special tokens). Unknown words are an InputError that names them; the word list is
 * stored in every checkpoint's config so a model always decodes with its own vocabulary.
 */
import { InputError } from '../errors.js';

/** Special tokens, always the first ids. */
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<ans>', '<sep>'] as const;
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const ANS_ID = 3;
export const SEP_ID = 4;

/** Words that split off as their own tokens when glued to a word ("image," -> "image", ","). */
const PUNCTUATION = /([.,?:;!])/g;

export class Tokenizer {
  readonly words: readonly string[];
  private readonly ids: Map<string, number>;

  /** Builds a tokenizer from words (specials are added first, duplicates dropped). */
  constructor(words: readonly string[]) {
    const all = [...SPECIAL_TOKENS, ...words.filter((w) => !(SPECIAL_TOKENS as readonly string[]).includes(w))];
    this.words = [...new Set(all)];
    this.ids = new Map(this.words.map((w, i) => [w, i]));
  }

  get size(): number {
    return this.words.length;
  }

  /** The id of one word (InputError when unknown). */
  id(word: string): number {
    const i = this.ids.get(word);
    if (i === undefined) throw new InputError(`unknown word '${word}': the model's vocabulary has ${this.size} words (rephrase with world words such as colours, shapes and relations)`);
    return i;
  }

  has(word: string): boolean {
    return this.ids.has(word);
  }

  /** Splits text into words: lowercase, whitespace-separated, punctuation as separate tokens. */
  split(text: string): string[] {
    return text.toLowerCase().replace(PUNCTUATION, ' $1 ').split(/\s+/).filter((w) => w !== '');
  }

  /**
   * Text to ids; every unknown word is listed in one InputError.
   * @example tok.encode('a photo of a red circle') // [12, 40, 31, 12, 44, 20]
   */
  encode(text: string): number[] {
    const words = this.split(text);
    const unknown = [...new Set(words.filter((w) => !this.ids.has(w)))];
    if (unknown.length > 0) {
      throw new InputError(`unknown word${unknown.length > 1 ? 's' : ''} ${unknown.map((w) => `'${w}'`).join(', ')} in "${text}": the tiny VLM reads only its closed vocabulary (world colours, shapes, relations, counts and instruction words)`);
    }
    return words.map((w) => this.ids.get(w)!);
  }

  /** Ids back to text (specials other than <sep> are dropped). */
  decode(ids: readonly number[]): string {
    return ids
      .filter((i) => i > SEP_ID || i === SEP_ID)
      .map((i) => this.words[i] ?? '<?>')
      .join(' ');
  }
}
