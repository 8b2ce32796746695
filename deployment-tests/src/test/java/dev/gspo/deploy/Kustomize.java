package dev.gspo.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The part of {@code kustomize build} this repository uses, so that the tests see what {@code kubectl apply -k}
 * would apply: {@code resources} (files and directories holding a kustomization), {@code configMapGenerator} with
 * {@code files}, {@code generatorOptions}, and {@code namespace}. Anything else in a kustomization is refused, so that
 * a new feature is added here before it is relied on. Like kustomize's default load restrictor, generator files must
 * lie at or below their kustomization's directory.
 */
final class Kustomize {
    static final Set<String> SUPPORTED_KEYS =
            Set.of("apiVersion", "kind", "namespace", "resources", "configMapGenerator", "generatorOptions", "images");

    /** One object of the build, with the file it came from. */
    record Manifest(HasMetadata object, Path source) {
        String describe() {
            return object.getKind() + "/" + object.getMetadata().getName() + " (" + Repo.relative(source) + ")";
        }
    }

    /** {@code images:} entries: the image name to replace, and its new name/tag. */
    record ImageOverride(String name, String newName, String newTag) {}

    record Build(List<Manifest> manifests, List<ImageOverride> images, List<Path> kustomizations) {
        <T extends HasMetadata> List<T> all(Class<T> type) {
            return manifests.stream()
                    .map(Manifest::object)
                    .filter(type::isInstance)
                    .map(type::cast)
                    .toList();
        }

        <T extends HasMetadata> T one(Class<T> type, String name) {
            List<T> found = all(type).stream()
                    .filter(o -> o.getMetadata().getName().equals(name))
                    .toList();
            if (found.size() != 1) {
                throw new AssertionError(
                        "expected one " + type.getSimpleName() + " named " + name + ", found " + found.size());
            }
            return found.getFirst();
        }
    }

    private Kustomize() {}

    static Build build(Path directory) {
        List<Manifest> manifests = new ArrayList<>();
        List<ImageOverride> images = new ArrayList<>();
        List<Path> kustomizations = new ArrayList<>();
        collect(directory.toAbsolutePath().normalize(), manifests, images, kustomizations);
        return new Build(List.copyOf(manifests), List.copyOf(images), List.copyOf(kustomizations));
    }

    private static void collect(
            Path directory, List<Manifest> out, List<ImageOverride> images, List<Path> kustomizations) {
        Path file = directory.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(Repo.relative(directory) + ": no kustomization.yaml");
        }
        kustomizations.add(file);
        Map<String, Object> k = Yamls.loadMap(file);
        String where = Repo.relative(file);
        for (String key : k.keySet()) {
            if (!SUPPORTED_KEYS.contains(key)) {
                throw new IllegalArgumentException(where + ": field '" + key + "' is not one this repository uses "
                        + "(supported: " + new TreeSet<>(SUPPORTED_KEYS) + ")");
            }
        }
        require("kustomize.config.k8s.io/v1beta1".equals(k.get("apiVersion")), where + ": apiVersion");
        require("Kustomization".equals(k.get("kind")), where + ": kind");

        List<Manifest> here = new ArrayList<>();
        for (Object entry : Yamls.list(k.get("resources"))) {
            Path target = directory.resolve(String.valueOf(entry)).normalize();
            if (Files.isDirectory(target)) {
                collect(target, here, images, kustomizations);
            } else if (Files.isRegularFile(target)) {
                int index = 0;
                for (Object doc : Yamls.loadAll(target)) {
                    here.add(new Manifest(
                            StrictKubernetes.parse(
                                    Yamls.map(doc), Repo.relative(target) + " (document " + index++ + ")"),
                            target));
                }
            } else {
                throw new IllegalArgumentException(
                        where + ": resource '" + entry + "' does not exist (" + Repo.relative(target) + ")");
            }
        }

        Map<String, Object> generatorOptions = Yamls.map(k.get("generatorOptions"));
        for (Object g : Yamls.list(k.get("configMapGenerator"))) {
            here.add(new Manifest(configMap(directory, where, Yamls.map(g), generatorOptions), file));
        }

        for (Object i : Yamls.list(k.get("images"))) {
            Map<String, Object> image = Yamls.map(i);
            images.add(new ImageOverride(
                    (String) image.get("name"),
                    (String) image.get("newName"),
                    image.get("newTag") == null ? null : String.valueOf(image.get("newTag"))));
        }

        Object namespace = k.get("namespace");
        if (namespace != null) {
            for (Manifest m : here) {
                if (!(m.object() instanceof Namespace)) {
                    m.object().getMetadata().setNamespace(String.valueOf(namespace));
                }
            }
        }
        out.addAll(here);
    }

    private static ConfigMap configMap(
            Path directory, String where, Map<String, Object> generator, Map<String, Object> generatorOptions) {
        for (String key : generator.keySet()) {
            require(
                    Set.of("name", "files", "options", "behavior").contains(key),
                    where + ": configMapGenerator field '" + key + "' is not supported here");
        }
        String name = (String) generator.get("name");
        require(
                Boolean.TRUE.equals(generatorOptions.get("disableNameSuffixHash")),
                where + ": generatorOptions.disableNameSuffixHash must be true (stable names are relied upon)");
        Map<String, String> data = new LinkedHashMap<>();
        for (Object f : Yamls.list(generator.get("files"))) {
            String spec = String.valueOf(f);
            int eq = spec.indexOf('=');
            String relative = eq < 0 ? spec : spec.substring(eq + 1);
            Path source = directory.resolve(relative).normalize();
            require(
                    source.startsWith(directory),
                    where + ": generator file '" + relative
                            + "' is outside the kustomization's directory: kustomize refuses to load it");
            require(Files.isRegularFile(source), where + ": generator file '" + relative + "' does not exist");
            String key = eq < 0 ? source.getFileName().toString() : spec.substring(0, eq);
            require(data.put(key, Repo.read(source)) == null, where + ": duplicate key " + key);
        }
        Map<String, Object> options = Yamls.map(generator.get("options"));
        Map<String, String> labels = new LinkedHashMap<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        Yamls.map(generatorOptions.get("labels")).forEach((key, v) -> labels.put(key, String.valueOf(v)));
        Yamls.map(options.get("labels")).forEach((key, v) -> labels.put(key, String.valueOf(v)));
        Yamls.map(generatorOptions.get("annotations")).forEach((key, v) -> annotations.put(key, String.valueOf(v)));
        Yamls.map(options.get("annotations")).forEach((key, v) -> annotations.put(key, String.valueOf(v)));
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .withAnnotations(annotations)
                .endMetadata()
                .withData(data)
                .build();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
