/**
 * The JSON records of the rollout HTTP contract (docs/ARCHITECTURE.md §6.2), shared by the rollout-service (server) and the
 * optimizer-service (client). Plain records with Jackson annotations only (the annotations are the same package for
 * Jackson 2 and 3), no Spring. Optional request fields are boxed and null when absent; the server applies the
 * documented defaults.
 */
package dev.gspo.common.wire;
