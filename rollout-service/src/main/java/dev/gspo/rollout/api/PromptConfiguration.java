package dev.gspo.rollout.api;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import dev.gspo.rollout.config.RolloutProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The served tokenizer's {@link PromptTextLimit}, read once at start-up from its {@code tokenizer.json}. */
@Configuration(proxyBeanMethods = false)
class PromptConfiguration {
    private static final Logger log = LoggerFactory.getLogger(PromptConfiguration.class);

    @Bean
    PromptTextLimit promptTextLimit(RolloutProperties properties) {
        PromptTextLimit limit = PromptTextLimit.of(tokenizerJson(properties));
        if (limit.bounded()) {
            log.info(
                    "prompt texts longer than {} characters per prompt token are refused before tokenising ({})",
                    limit.maxCharsPerToken(),
                    limit.reason());
        } else {
            log.info(
                    "prompt texts are tokenised whole before their length is checked: {}; "
                            + "gspo.rollout.max-request-bytes bounds that work",
                    limit.reason());
        }
        return limit;
    }

    /** The same file the policy's tokenizer was loaded from (pushes change weights, never the tokenizer). */
    private static String tokenizerJson(RolloutProperties properties) {
        if (properties.usesBuiltinModel()) {
            return BuiltinVocabulary.tokenizerJson();
        }
        Path file = Path.of(properties.modelDir()).resolve(PolicyModel.TOKENIZER_FILE);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
