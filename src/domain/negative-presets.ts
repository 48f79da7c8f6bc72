/**
 * Recommended negative prompts by kind of edit, after the vendors' table (seed 004), with Chinese
 * equivalents. Pure data: the playground and clients offer them; no engine applies them unasked.
 */
export type EditType = 'person' | 'style' | 'text' | 'object' | 'fusion';

export interface NegativePreset {
  type: EditType;
  /** The edit type as the table names it. */
  label: string;
  en: string;
  zh: string;
}

const PRESETS: readonly NegativePreset[] = [
  {
    type: 'person',
    label: 'Person Editing',
    en: 'distortion, deformation, extra limbs, wrong proportions, uncoordinated, face distortion',
    zh: '扭曲，变形，多余的肢体，比例失调，不协调，面部扭曲',
  },
  {
    type: 'style',
    label: 'Style Transfer',
    en: 'over-rendered, distortion, mismatched colors, unnatural, inconsistent style',
    zh: '过度渲染，扭曲，颜色不匹配，不自然，风格不一致',
  },
  {
    type: 'text',
    label: 'Text Editing',
    en: 'blurred text, typos, distorted font, unclear strokes, overlapping text',
    zh: '文字模糊，错别字，字体扭曲，笔画不清晰，文字重叠',
  },
  {
    type: 'object',
    label: 'Object Editing',
    en: 'unnatural, sense of violation, obvious seams, wrong shadows, incorrect perspective',
    zh: '不自然，违和感，明显接缝，阴影错误，透视错误',
  },
  {
    type: 'fusion',
    label: 'Multi-Image Fusion',
    en: 'uncoordinated, obvious seams, mismatched lighting, inconsistent tone, stitching marks',
    zh: '不协调，明显接缝，光照不匹配，色调不一致，拼接痕迹',
  },
];

export const NEGATIVE_PRESETS: readonly Readonly<NegativePreset>[] = Object.freeze(PRESETS.map((preset) => Object.freeze({ ...preset })));

/** The recommended negative prompt for an edit type, in English or Chinese. */
export function negativePromptFor(type: EditType, language: 'en' | 'zh' = 'en'): string {
  const preset = NEGATIVE_PRESETS.find((p) => p.type === type);
  if (preset === undefined) throw new Error(`no negative prompt preset for ${type}`);
  return preset[language];
}
