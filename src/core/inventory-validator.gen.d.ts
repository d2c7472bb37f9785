// Types for the generated standalone validator (scripts/gen-validator.mjs).
export interface ValidationError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
  /** The schema object holding the failing keyword (the validator is generated with `verbose`). */
  parentSchema?: Record<string, unknown>
}
export declare const validate: ((data: unknown) => boolean) & { errors?: ValidationError[] | null }
export default validate
