// One colour per class in every chart and matrix, from the Okabe–Ito palette (told apart with the common colour
// vision deficiencies): benign blue, malicious vermillion, sensitive reddish purple. Other series use the rest.
import type { ToolClass } from '../core/types';

export const CLASS_COLORS: Record<ToolClass, string> = {
  benign: '#0072B2',
  malicious: '#D55E00',
  sensitive: '#CC79A7',
  none: '#999999',
};

/** For series that are not a class, in order: black, sky blue, orange, bluish green, yellow. */
export const OTHER_COLORS = ['#000000', '#56B4E9', '#E69F00', '#009E73', '#F0E442'];

/** `#rrggbb` at opacity `alpha` (0..1). */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
