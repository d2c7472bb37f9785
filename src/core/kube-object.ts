// The shape of any Kubernetes object as the API returns it (plain JSON). Pure types: the stages'
// done-checks in src/core read these, the client in src/effects/kube.ts sends and returns them.

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  ownerReferences?: OwnerReference[]
}

/** Any Kubernetes object. Declare richer interfaces by extending this one. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
}

/** An object whose body is not typed further. */
export type AnyObject = KubeObject & {
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  [key: string]: unknown
}
