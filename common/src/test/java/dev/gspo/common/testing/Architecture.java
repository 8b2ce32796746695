package dev.gspo.common.testing;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * Architecture rules every module's {@code ArchitectureTest} checks (ArchUnit): the packages of a module form no
 * cycle, so each feature package can be read, and changed, without the ones that depend on it.
 */
public final class Architecture {
    private Architecture() {}

    /** The production classes of {@code basePackage} (e.g. {@code dev.gspo.optimizer}), tests excluded. */
    public static JavaClasses mainClasses(String basePackage) {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages(basePackage);
    }

    /** Fails naming the cycle if the first-level packages under {@code basePackage} depend on each other in a ring. */
    public static void assertNoPackageCycles(String basePackage) {
        slices().matching(basePackage + ".(*)..").should().beFreeOfCycles().check(mainClasses(basePackage));
    }
}
