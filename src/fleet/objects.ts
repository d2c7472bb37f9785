// Kinds, names and status shapes of the simulated DKP fleet, shared by seeding, the simulated
// controllers and the stand-in dkp (reference/dkp.md §4), in three parts: object-basics.ts
// (API versions, labels, names, conditions), helm-release-objects.ts and capi-objects.ts. Pure.

export * from './capi-objects.js'
export * from './helm-release-objects.js'
export * from './object-basics.js'
