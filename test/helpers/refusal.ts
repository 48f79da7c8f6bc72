/** The AppError a call was refused with; fails the test if it was allowed. */
import { AppError } from '../../src/domain/errors.js';

export async function refusal(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the call was allowed');
}
