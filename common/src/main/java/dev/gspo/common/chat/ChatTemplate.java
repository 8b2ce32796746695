package dev.gspo.common.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.gspo.common.tokenizer.TokenizerConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template (the Jinja source in {@code tokenizer_config.json}), rendered as transformers'
 * {@code apply_chat_template(messages, add_generation_prompt=…, tokenize=False)} renders it.
 *
 * <p>The engine is HubSpot's Jinjava, configured like the jinja2 environment transformers builds: {@code trim_blocks}
 * and {@code lstrip_blocks} on, the template's trailing newline dropped, Python's operator precedence, map keys
 * evaluated, undefined variables rendering empty. What Jinjava lacks is added by {@link JinjaShims} (Python string
 * methods, transformers' {@code tojson} and {@code raise_exception}, {@code [::-1]} and {@code namespace(…)}
 * rewrites). Renderings of Qwen3's template are checked byte for byte against @huggingface/jinja and Python's jinja2
 * ({@code ChatTemplateGoldenTest}); every shim against Python's jinja2 ({@code ChatTemplateFeaturesTest}).
 *
 * <p>The render context is what transformers passes: {@code messages} (a list of {@code {role, content}} maps),
 * {@code add_generation_prompt}, the special tokens the tokenizer config sets ({@code bos_token}, {@code eos_token},
 * …), and any extra variables (e.g. {@code enable_thinking}).
 *
 * <p>Special tokens in the result (e.g. {@code <|im_start|>}) are plain text here; {@code PolicyTokenizer.encode}
 * turns each into its single id, as Hugging Face tokenizers do for added tokens.
 *
 * <p>Thread-safe. Renderings are remembered (the last {@value #CACHED_RENDERINGS} conversations): Jinjava parses the
 * template on every call (~1–5 ms for Qwen3's on a busy 2-core machine), and a training run renders the same dataset
 * rows step after step.
 */
public final class ChatTemplate {

    /** Shared engine: Jinjava renders each call with an interpreter of its own, so one instance serves all threads. */
    private static final Jinjava JINJA = engine();

    static final int CACHED_RENDERINGS = 10_000;

    private final String source;
    private final String adapted;
    private final Map<String, Object> specialTokens;
    private final Map<List<Object>, String> rendered =
            java.util.Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<List<Object>, String> eldest) {
                    return size() > CACHED_RENDERINGS;
                }
            });

    private ChatTemplate(String source, Map<String, Object> specialTokens) {
        this.source = source;
        this.adapted = JinjaShims.adaptSource(source);
        this.specialTokens = Map.copyOf(specialTokens);
    }

    /** The template of a tokenizer config, if it has one. */
    public static Optional<ChatTemplate> of(TokenizerConfig config) {
        return config.chatTemplate().map(t -> new ChatTemplate(t, config.specialTokens()));
    }

    /** A template from its Jinja source, with the special tokens it may refer to (e.g. {@code eos_token}). */
    public static ChatTemplate of(String source, Map<String, Object> specialTokens) {
        return new ChatTemplate(Objects.requireNonNull(source, "source"), specialTokens);
    }

    /** The conversation as the model reads it; with the generation prompt, ready for the assistant's reply. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * As {@link #render(List, boolean)}, with extra template variables (transformers' keyword arguments, e.g.
     * {@code enable_thinking=false} for Qwen3).
     *
     * @throws ChatTemplateException if the template fails or refuses the conversation ({@code raise_exception})
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        List<Object> key = List.of(List.copyOf(messages), addGenerationPrompt, Map.copyOf(extra));
        String cached = rendered.get(key);
        if (cached != null) {
            return cached;
        }
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.putAll(extra);
        context.put("messages", turns);
        context.put("add_generation_prompt", addGenerationPrompt);
        String text = renderContext(context);
        rendered.put(key, text);
        return text;
    }

    /** Renders with exactly this context (plus nothing): what the feature tests use. */
    String renderContext(Map<String, Object> context) {
        RenderResult result;
        JinjaShims.RAISED.remove();
        try {
            result = JINJA.renderForResult(adapted, context);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ChatTemplateException("the chat template cannot be rendered: " + e.getMessage());
        } finally {
            String raised = JinjaShims.RAISED.get();
            JinjaShims.RAISED.remove();
            if (raised != null) {
                throw new ChatTemplateException("the chat template refused the conversation: " + raised);
            }
        }
        List<TemplateError> errors = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
                .toList();
        if (!errors.isEmpty()) {
            // raise_exception's own exception comes back as an error: its message is the template's
            for (TemplateError e : errors) {
                if (e.getException() instanceof ChatTemplateException refused) {
                    throw refused;
                }
                Throwable cause =
                        e.getException() == null ? null : e.getException().getCause();
                if (cause instanceof ChatTemplateException refused) {
                    throw refused;
                }
            }
            throw new ChatTemplateException("the chat template cannot be rendered: "
                    + errors.stream()
                            .map(e -> "line " + e.getLineno() + ": " + e.getMessage())
                            .collect(Collectors.joining("; ")));
        }
        return result.getOutput();
    }

    /** The template's Jinja source, as the model directory gives it. */
    public String source() {
        return source;
    }

    private static Jinjava engine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new JinjaShims.PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withKeepTrailingNewline(true) // jinja2 drops the template's trailing newline: JinjaShims.adaptSource
                .withFailOnUnknownTokens(false)
                // never render a value's text as a template: message content containing "{% if %}" is content
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .build());
        jinjava.getGlobalContext().registerFilter(new JinjaShims.PythonToJson());
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "raise_exception", JinjaShims.class, "raiseException", String.class));
        return jinjava;
    }
}
