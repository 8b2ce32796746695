package dev.gspo.optimizer.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The remote reward contract v1 as checked in: {@code docs/reward-api/v1/request|response.schema.json}. */
public final class RewardContract {
    public static final Path DIR = Path.of("..", "docs", "reward-api", "v1");

    private RewardContract() {}

    /** What is wrong with a request body by the contract; empty when it conforms. */
    public static List<String> requestProblems(JsonNode body) {
        return problems("request.schema.json", body);
    }

    /** What is wrong with a response body by the contract; empty when it conforms. */
    public static List<String> responseProblems(JsonNode body) {
        return problems("response.schema.json", body);
    }

    private static List<String> problems(String file, JsonNode body) {
        try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
            JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                    .getSchema(in);
            return schema.validate(body).stream()
                    .map(ValidationMessage::getMessage)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
