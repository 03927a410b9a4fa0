import sharp from 'sharp';
import { createRng } from '../seeding.js';

/** Kinds of generated images that hold no animal. */
export type GeneratedOodKind = 'noise' | 'blurred-noise' | 'solid' | 'gradient' | 'shapes' | 'text';
export const GENERATED_OOD_KINDS: readonly GeneratedOodKind[] = ['noise', 'blurred-noise', 'solid', 'gradient', 'shapes', 'text'];

/**
 * Generated out-of-distribution images (no animal): uniform noise, blurred noise, solid colours and
 * colour gradients, as PNG bytes (the first four kinds, in turn). Used to report how many of them
 * the model answers "unknown" / "none".
 */
export async function outOfDistributionImages(seed: number, count = 24, size = 160): Promise<Buffer[]> {
  return (await labelledOutOfDistributionImages(seed, count, size, GENERATED_OOD_KINDS.slice(0, 4))).map((i) => i.image);
}

/** Like outOfDistributionImages, over `kinds` in turn (default all six, shapes and text rendered from SVG), with each image's kind. */
export async function labelledOutOfDistributionImages(
  seed: number,
  count = 36,
  size = 160,
  kinds: readonly GeneratedOodKind[] = GENERATED_OOD_KINDS,
): Promise<Array<{ kind: GeneratedOodKind; image: Buffer }>> {
  const rng = createRng(seed + 9001);
  const colour = () => [rng(), rng(), rng()].map((v) => Math.floor(v * 256));
  const css = (c: number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;
  const out: Array<{ kind: GeneratedOodKind; image: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    if (kind === 'shapes' || kind === 'text') {
      out.push({ kind, image: await sharp(Buffer.from(kind === 'shapes' ? shapesSvg(size, rng, colour, css) : textSvg(size, rng, colour, css))).png().toBuffer() });
      continue;
    }
    const px = Buffer.alloc(size * size * 3);
    if (kind === 'noise' || kind === 'blurred-noise') for (let j = 0; j < px.length; j++) px[j] = Math.floor(rng() * 256);
    else if (kind === 'solid') {
      const c = colour();
      for (let j = 0; j < px.length; j++) px[j] = c[j % 3];
    } else {
      const a = [rng(), rng(), rng()].map((v) => v * 255);
      const b = [rng(), rng(), rng()].map((v) => v * 255);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = Math.round(a[c] + ((b[c] - a[c]) * (x + y)) / (2 * size));
    }
    let img = sharp(px, { raw: { width: size, height: size, channels: 3 } });
    if (kind === 'blurred-noise') img = img.blur(4);
    out.push({ kind, image: await img.png().toBuffer() });
  }
  return out;
}

function shapesSvg(size: number, rng: () => number, colour: () => number[], css: (c: number[]) => string): string {
  const parts: string[] = [`<rect width="${size}" height="${size}" fill="${css(colour())}"/>`];
  const n = 3 + Math.floor(rng() * 5);
  for (let k = 0; k < n; k++) {
    const x = rng() * size;
    const y = rng() * size;
    const r = 8 + rng() * size * 0.3;
    const fill = css(colour());
    const shape = Math.floor(rng() * 3);
    if (shape === 0) parts.push(`<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>`);
    else if (shape === 1) parts.push(`<rect x="${x - r}" y="${y - r / 2}" width="${2 * r}" height="${r}" fill="${fill}" transform="rotate(${rng() * 90} ${x} ${y})"/>`);
    else parts.push(`<polygon points="${x},${y - r} ${x + r},${y + r} ${x - r},${y + r}" fill="${fill}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${parts.join('')}</svg>`;
}

const WORDS = ['invoice', 'streamlens', 'hello world', 'Q3 report', 'EXIT', 'menu', 'total 42.00', 'open 9-17', 'lorem ipsum', 'warning'];

function textSvg(size: number, rng: () => number, colour: () => number[], css: (c: number[]) => string): string {
  const lines = Array.from({ length: 2 + Math.floor(rng() * 3) }, (_, k) => {
    const word = WORDS[Math.floor(rng() * WORDS.length)];
    const fs = 14 + Math.floor(rng() * 16);
    return `<text x="${6 + rng() * 20}" y="${30 + k * (size / 4)}" font-family="sans-serif" font-size="${fs}" fill="${css(colour())}">${word}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" fill="${css(colour())}"/>${lines.join('')}</svg>`;
}

/**
 * Hand-drawn SVG scenes without animals (a street with a car, a house, a table with fruit, a city
 * skyline, a room with a chair, a person, a landscape, a clock), rendered to PNG. Cartoon-like, not
 * photos: a rough stand-in for real non-animal pictures when none are available locally.
 */
export async function renderedSceneImages(size = 224): Promise<Array<{ name: string; image: Buffer }>> {
  const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 224 224">${body}</svg>`;
  const scenes: Record<string, string> = {
    'street-car': `<rect width="224" height="130" fill="#9cd3f5"/><rect y="130" width="224" height="94" fill="#555"/><rect y="172" width="224" height="6" fill="#fff" stroke-dasharray="20 14" stroke="#ffd"/>
      <rect x="40" y="118" width="140" height="38" rx="8" fill="#c0282d"/><path d="M70 118 L90 92 L140 92 L160 118 Z" fill="#c0282d"/><path d="M78 116 L94 96 L114 96 L114 116 Z M120 116 L120 96 L138 96 L152 116 Z" fill="#cfe8ff"/>
      <circle cx="75" cy="158" r="15" fill="#222"/><circle cx="75" cy="158" r="6" fill="#aaa"/><circle cx="150" cy="158" r="15" fill="#222"/><circle cx="150" cy="158" r="6" fill="#aaa"/><rect x="172" y="128" width="10" height="8" fill="#ffeb7a"/>`,
    house: `<rect width="224" height="224" fill="#bfe3ff"/><rect y="170" width="224" height="54" fill="#5fae4b"/><rect x="52" y="100" width="120" height="80" fill="#e8d2a8"/>
      <polygon points="42,102 112,48 182,102" fill="#8b3a2b"/><rect x="100" y="136" width="26" height="44" fill="#6b4226"/><rect x="64" y="116" width="26" height="22" fill="#cfe8ff" stroke="#fff" stroke-width="3"/><rect x="136" y="116" width="26" height="22" fill="#cfe8ff" stroke="#fff" stroke-width="3"/><rect x="146" y="56" width="14" height="30" fill="#7a3b2e"/>`,
    'fruit-table': `<rect width="224" height="224" fill="#f1e6d0"/><rect y="130" width="224" height="94" fill="#8a5a36"/><ellipse cx="112" cy="140" rx="80" ry="22" fill="#fff"/>
      <circle cx="88" cy="122" r="20" fill="#d8261c"/><circle cx="124" cy="118" r="22" fill="#f39c12"/><circle cx="146" cy="130" r="14" fill="#7cb342"/><path d="M60 132 Q90 100 120 134" stroke="#f5d90a" stroke-width="12" fill="none"/><rect x="86" y="98" width="3" height="8" fill="#4e342e"/>`,
    skyline: `<rect width="224" height="224" fill="#243b6b"/><circle cx="180" cy="40" r="14" fill="#f7f3c8"/><rect x="10" y="110" width="34" height="114" fill="#394b63"/><rect x="50" y="70" width="40" height="154" fill="#2d3e55"/>
      <rect x="96" y="96" width="30" height="128" fill="#46576f"/><rect x="132" y="50" width="36" height="174" fill="#33445c"/><rect x="174" y="120" width="42" height="104" fill="#3c4d66"/>
      ${Array.from({ length: 30 }, (_, k) => `<rect x="${56 + (k % 4) * 8}" y="${80 + Math.floor(k / 4) * 16}" width="4" height="6" fill="#ffd86b"/>`).join('')}`,
    'room-chair': `<rect width="224" height="150" fill="#e9e4da"/><rect y="150" width="224" height="74" fill="#a0744e"/><rect x="150" y="30" width="50" height="60" fill="#9fd0f0" stroke="#fff" stroke-width="4"/>
      <rect x="60" y="70" width="10" height="110" fill="#5d3a1a"/><rect x="60" y="120" width="70" height="12" fill="#7b4a21"/><rect x="120" y="120" width="10" height="60" fill="#5d3a1a"/><rect x="66" y="130" width="8" height="50" fill="#5d3a1a"/><rect x="16" y="90" width="30" height="60" fill="#3f7f5f"/>`,
    person: `<rect width="224" height="224" fill="#d6eaf8"/><circle cx="112" cy="60" r="26" fill="#f1c27d"/><rect x="86" y="88" width="52" height="70" rx="10" fill="#2e86c1"/>
      <rect x="92" y="156" width="16" height="56" fill="#1b2631"/><rect x="116" y="156" width="16" height="56" fill="#1b2631"/><rect x="66" y="92" width="18" height="56" rx="8" fill="#2e86c1"/><rect x="140" y="92" width="18" height="56" rx="8" fill="#2e86c1"/>
      <path d="M88 48 Q112 22 136 48" fill="#4a2c17"/><circle cx="102" cy="60" r="3" fill="#222"/><circle cx="122" cy="60" r="3" fill="#222"/>`,
    landscape: `<rect width="224" height="224" fill="#87ceeb"/><polygon points="0,150 60,70 120,150" fill="#7d8ca3"/><polygon points="80,150 150,60 224,150" fill="#6c7a91"/><polygon points="135,78 150,60 165,78" fill="#fff"/>
      <rect y="150" width="224" height="74" fill="#4caf50"/><path d="M0 200 Q112 160 224 200 L224 224 L0 224 Z" fill="#3a8dde"/><circle cx="40" cy="40" r="18" fill="#ffe066"/>`,
    clock: `<rect width="224" height="224" fill="#f4f4f4"/><circle cx="112" cy="112" r="80" fill="#fff" stroke="#333" stroke-width="8"/>
      ${Array.from({ length: 12 }, (_, k) => `<rect x="110" y="38" width="4" height="12" fill="#333" transform="rotate(${k * 30} 112 112)"/>`).join('')}
      <rect x="109" y="62" width="6" height="52" fill="#111"/><rect x="110" y="110" width="4" height="60" fill="#c0392b" transform="rotate(120 112 112)"/><circle cx="112" cy="112" r="6" fill="#111"/>`,
  };
  return Promise.all(Object.entries(scenes).map(async ([name, body]) => ({ name, image: await sharp(Buffer.from(svg(body))).png().toBuffer() })));
}
