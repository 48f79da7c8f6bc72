/**
 * The Qwen-Image-Edit-2509 workflow (protocols.md §5.3) in ComfyUI's API format, as code.
 * Without an asked-for size the latent comes from the last input image scaled to `megapixels`
 * (the template's path; the output follows the last image, as on DashScope); with one, from an
 * empty latent of that size.
 */
import type { Size } from '../../domain/models.js';
import type { JsonValue } from '../engine.js';

export interface ComfyModelSettings {
  unet: string;
  clip: string;
  vae: string;
  lora?: string | undefined;
  steps: number;
  cfg: number;
  sampler: string;
  scheduler: string;
  shift: number;
  megapixels: number;
}

export const COMFYUI_2509_FILES = {
  unet: 'qwen_image_edit_2509_fp8_e4m3fn.safetensors',
  clip: 'qwen_2.5_vl_7b_fp8_scaled.safetensors',
  vae: 'qwen_image_vae.safetensors',
} as const;

/** The template's sampling: 4 steps at cfg 1 with a Lightning LoRA, 20 at 2.5 without. */
export function defaultSampling(lora: string | undefined): { steps: number; cfg: number } {
  return lora ? { steps: 4, cfg: 1 } : { steps: 20, cfg: 2.5 };
}

export interface WorkflowCall {
  prompt: string;
  negativePrompt: string;
  seed: number;
  n: number;
  /** Names returned by /upload/image, image 1 first. */
  images: readonly string[];
  /** The output size, used as is unless `followLastImage`. */
  size: Size;
  /** No size was asked for: the last image's aspect at `megapixels` sets it. */
  followLastImage: boolean;
  filenamePrefix: string;
}

type Link = [string, number];
export type ComfyGraph = Record<string, { class_type: string; inputs: Record<string, JsonValue> }>;

const NODE = {
  unet: '1',
  clip: '2',
  vae: '3',
  lora: '4',
  sampling: '5',
  cfgNorm: '6',
  scale: '13',
  encode: '14',
  latent: '15',
  repeat: '16',
  positive: '20',
  negative: '21',
  sampler: '30',
  decode: '31',
  save: '32',
} as const;

/** The node whose `images` output holds the results in /history. */
export const SAVE_NODE = NODE.save;

const imageNode = (index: number) => String(10 + index);
const link = (node: string, output = 0): Link => [node, output];

function latent(settings: ComfyModelSettings, call: WorkflowCall): { nodes: ComfyGraph; output: Link } {
  const last = call.images.length - 1;
  if (!call.followLastImage || last < 0) {
    const { width, height } = call.size;
    return {
      nodes: { [NODE.latent]: { class_type: 'EmptySD3LatentImage', inputs: { width, height, batch_size: call.n } } },
      output: link(NODE.latent),
    };
  }
  const nodes: ComfyGraph = {
    // resolution_steps keeps sides at multiples of 16 (ignored by ComfyUI versions without it).
    [NODE.scale]: { class_type: 'ImageScaleToTotalPixels', inputs: { upscale_method: 'lanczos', megapixels: settings.megapixels, resolution_steps: 16, image: link(imageNode(last)) } },
    [NODE.encode]: { class_type: 'VAEEncode', inputs: { pixels: link(NODE.scale), vae: link(NODE.vae) } },
  };
  if (call.n === 1) return { nodes, output: link(NODE.encode) };
  nodes[NODE.repeat] = { class_type: 'RepeatLatentBatch', inputs: { samples: link(NODE.encode), amount: call.n } };
  return { nodes, output: link(NODE.repeat) };
}

function encoder(prompt: string, images: readonly string[]): { class_type: string; inputs: Record<string, JsonValue> } {
  const refs = Object.fromEntries(images.map((_, index) => [`image${index + 1}`, link(imageNode(index))]));
  return { class_type: 'TextEncodeQwenImageEditPlus', inputs: { clip: link(NODE.clip), vae: link(NODE.vae), prompt, ...refs } };
}

export function buildWorkflow(settings: ComfyModelSettings, call: WorkflowCall): ComfyGraph {
  const base = settings.lora ? NODE.lora : NODE.unet;
  const { nodes: latentNodes, output: latentOutput } = latent(settings, call);
  const graph: ComfyGraph = {
    [NODE.unet]: { class_type: 'UNETLoader', inputs: { unet_name: settings.unet, weight_dtype: 'default' } },
    [NODE.clip]: { class_type: 'CLIPLoader', inputs: { clip_name: settings.clip, type: 'qwen_image', device: 'default' } },
    [NODE.vae]: { class_type: 'VAELoader', inputs: { vae_name: settings.vae } },
    ...(settings.lora ? { [NODE.lora]: { class_type: 'LoraLoaderModelOnly', inputs: { lora_name: settings.lora, strength_model: 1, model: link(NODE.unet) } } } : {}),
    [NODE.sampling]: { class_type: 'ModelSamplingAuraFlow', inputs: { shift: settings.shift, model: link(base) } },
    [NODE.cfgNorm]: { class_type: 'CFGNorm', inputs: { strength: 1, model: link(NODE.sampling) } },
    ...Object.fromEntries(call.images.map((name, index) => [imageNode(index), { class_type: 'LoadImage', inputs: { image: name } }])),
    ...latentNodes,
    [NODE.positive]: encoder(call.prompt, call.images),
    [NODE.negative]: encoder(call.negativePrompt, call.images),
    [NODE.sampler]: {
      class_type: 'KSampler',
      inputs: {
        seed: call.seed,
        steps: settings.steps,
        cfg: settings.cfg,
        sampler_name: settings.sampler,
        scheduler: settings.scheduler,
        denoise: 1,
        model: link(NODE.cfgNorm),
        positive: link(NODE.positive),
        negative: link(NODE.negative),
        latent_image: latentOutput,
      },
    },
    [NODE.decode]: { class_type: 'VAEDecode', inputs: { samples: link(NODE.sampler), vae: link(NODE.vae) } },
    [NODE.save]: { class_type: 'SaveImage', inputs: { filename_prefix: call.filenamePrefix, images: link(NODE.decode) } },
  };
  return graph;
}
