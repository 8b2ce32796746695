package dev.gspo.rollout.weights;

import dev.gspo.common.model.PolicyModel;

/** Registries for tests outside this package. */
public final class TestRegistries {
    private TestRegistries() {}

    public static PolicyRegistry serving(PolicyModel model) {
        return new PolicyRegistry(ServedPolicy.fromModel(0, model));
    }
}
