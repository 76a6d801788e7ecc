/**
 * SVG → PNG through resvg (@resvg/resvg-js, a Rust renderer shipped as npm binaries).
 *
 * resvg draws text only with fonts it is given. We load DejaVu Sans (Debian: fonts-dejavu-core)
 * or another known sans-serif font file, falling back to every system font; RICCI_GEN_FONT may
 * name a .ttf/.otf file to use instead. When no font can draw text, `toPng` throws
 * `FontUnavailableError` rather than return a picture without its labels.
 */
import { existsSync } from "node:fs";
import { Resvg, type ResvgRenderOptions } from "@resvg/resvg-js";

/** Regular and bold faces tried in order; the first regular one found sets the family. */
const FONT_CANDIDATES: readonly { family: string; files: readonly string[] }[] = [
  {
    family: "DejaVu Sans",
    files: ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"],
  },
  {
    family: "Liberation Sans",
    files: [
      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
      "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
      "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
      "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ],
  },
  {
    family: "Noto Sans",
    files: ["/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"],
  },
  { family: "DejaVu Sans", files: ["/Library/Fonts/DejaVuSans.ttf"] },
  { family: "Arial", files: ["/Library/Fonts/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial.ttf", "C:\\Windows\\Fonts\\arial.ttf"] },
];

/** The Debian package that provides the preferred font. */
export const FONT_PACKAGE = "fonts-dejavu-core";

export class FontUnavailableError extends Error {
  constructor() {
    super(
      `no font available to draw text in PNG pictures: install the Debian package ${FONT_PACKAGE} ` +
        `(apt-get install ${FONT_PACKAGE}) or set RICCI_GEN_FONT to a .ttf file`,
    );
    this.name = "FontUnavailableError";
  }
}

export interface FontSetup {
  /** Font files loaded explicitly (empty when relying on system fonts). */
  files: string[];
  /** Family used when the SVG's font-family list matches nothing loaded. */
  family: string | undefined;
  /** Whether every system font is scanned too (slower). */
  system: boolean;
  /** Whether a probe string rendered with a non-empty bounding box. */
  textRenders: boolean;
}

let cached: FontSetup | undefined;

function fontOptions(setup: Pick<FontSetup, "files" | "family" | "system">): NonNullable<ResvgRenderOptions["font"]> {
  const font: NonNullable<ResvgRenderOptions["font"]> = { loadSystemFonts: setup.system, fontFiles: setup.files };
  if (setup.family) {
    font.defaultFontFamily = setup.family;
    font.sansSerifFamily = setup.family;
  }
  return font;
}

function probe(setup: Pick<FontSetup, "files" | "family" | "system">): boolean {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><text x="5" y="25" font-size="16">Hg 10⁻³</text></svg>`;
  const bbox = new Resvg(svg, { font: fontOptions(setup) }).getBBox();
  return bbox !== undefined && bbox.width > 0;
}

/** Which fonts the PNG renderer uses (found once per process). */
export function fontSetup(): FontSetup {
  if (cached) return cached;
  const env = process.env["RICCI_GEN_FONT"];
  const tries: Pick<FontSetup, "files" | "family" | "system">[] = [];
  if (env && existsSync(env)) tries.push({ files: [env], family: undefined, system: false });
  for (const c of FONT_CANDIDATES) {
    const files = c.files.filter((f) => existsSync(f));
    if (files.length > 0) tries.push({ files, family: c.family, system: false });
  }
  tries.push({ files: [], family: undefined, system: true });
  for (const t of tries) {
    if (probe(t)) return (cached = { ...t, textRenders: true });
  }
  return (cached = { files: [], family: undefined, system: false, textRenders: false });
}

export interface PngOptions {
  /** Pixel scale factor (2 = sharp on high-density screens); default 2. */
  scale?: number;
  /** Skip the font check (for SVGs without text). */
  allowMissingFonts?: boolean;
}

/** Render an SVG document to PNG bytes. Throws `FontUnavailableError` if text cannot be drawn. */
export function toPng(svg: string, o: PngOptions = {}): Uint8Array {
  const setup = fontSetup();
  if (!setup.textRenders && !o.allowMissingFonts && /<text[\s>]/.test(svg)) throw new FontUnavailableError();
  const scale = o.scale ?? 2;
  const resvg = new Resvg(svg, {
    font: fontOptions(setup),
    fitTo: { mode: "zoom", value: scale },
    background: "#ffffff",
    logLevel: "off",
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Width and height stored in a PNG's IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
