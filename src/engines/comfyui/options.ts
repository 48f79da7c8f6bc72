/** A self-hosted ComfyUI's options: its address and the Qwen-Image checkpoint files and sampling it runs. */
import { z } from 'zod';
import { modelList, routing, upstreamUrl } from '../option-fields.js';

const fileName = z.string().min(1).max(255);

export const comfyuiOptions = z
  .object({
    type: z.literal('comfyui'),
    ...routing,
    baseUrl: upstreamUrl,
    /** Default: qwen-image-edit-plus (the 2509 checkpoint). */
    models: modelList.optional(),
    unet: fileName.optional(),
    clip: fileName.optional(),
    vae: fileName.optional(),
    /** A LoRA such as the Lightning 4-step one; it changes the default steps and cfg. */
    lora: fileName.optional(),
    steps: z.number().int().min(1).max(200).optional(),
    cfg: z.number().min(0).max(30).optional(),
    sampler: z.string().min(1).optional(),
    scheduler: z.string().min(1).optional(),
    shift: z.number().min(0).max(100).optional(),
    /** Size of the reference latent when no size is asked for. */
    megapixels: z.number().min(0.1).max(16).optional(),
  })
  .strict();
