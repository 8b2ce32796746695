package dev.gspo.rollout;

import dev.gspo.common.testing.Architecture;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

    @Test
    void featurePackagesFormNoCycle() {
        Architecture.assertNoPackageCycles("dev.gspo.rollout");
    }
}
