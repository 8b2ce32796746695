package dev.gspo.common.wire;

import java.util.List;

/** The G samples of one prompt, with the prompt's token ids as the policy saw them. */
public record SampleGroup(String promptId, int[] promptTokenIds, List<Sample> samples) {}
