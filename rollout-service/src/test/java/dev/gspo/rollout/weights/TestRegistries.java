package dev.gspo.rollout.weights;

import dev.gspo.common.model.PolicyModel;

/** Registries for tests outside this package. */
public final class TestRegistries {
    private TestRegistries() {}

    public static PolicyRegistry serving(PolicyModel model) {
        return new PolicyRegistry(ServedPolicy.fromModel(0, model));
    }

    /** Swaps {@code next} in as {@code version}, as a verified push would. */
    public static void swap(PolicyRegistry registry, long version, PolicyModel next) {
        registry.swap(version, old -> ServedPolicy.fromModel(version, next));
    }
}
