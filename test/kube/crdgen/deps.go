// Package crdgen has no code: it pins the Flux API modules whose types controller-gen turns
// into CRDs (the helm-controller and source-controller root modules are not on the Go module
// proxy; their api/ modules are). Used by src/fleet/crds.ts.
package crdgen

import (
	_ "github.com/fluxcd/helm-controller/api/v2beta1"
	_ "github.com/fluxcd/helm-controller/api/v2beta2"
	_ "github.com/fluxcd/source-controller/api/v1"
	_ "github.com/fluxcd/source-controller/api/v1beta2"
)
