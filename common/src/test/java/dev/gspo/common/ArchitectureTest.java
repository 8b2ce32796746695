package dev.gspo.common;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import dev.gspo.common.testing.Architecture;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

    @Test
    void commonsPackagesFormNoCycle() {
        Architecture.assertNoPackageCycles("dev.gspo.common");
    }

    @Test
    void commonNeverUsesSpring() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.springframework..")
                .check(Architecture.mainClasses("dev.gspo.common"));
    }
}
