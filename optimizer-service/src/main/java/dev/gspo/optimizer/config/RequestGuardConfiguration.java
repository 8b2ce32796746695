package dev.gspo.optimizer.config;

import dev.gspo.optimizer.api.BearerToken;
import dev.gspo.optimizer.api.ProblemErrorReportValve;
import dev.gspo.optimizer.api.RequestGuardFilter;
import java.util.Arrays;
import org.apache.catalina.Container;
import org.apache.catalina.Context;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.HandlerExceptionResolver;
import tools.jackson.core.StreamReadFeature;

/**
 * The HTTP edge of the service: the request guard (credentials and body size, before any body is read), strict JSON
 * (a repeated key is a 400, not "the last one wins"), and Tomcat's own error reports as problem documents.
 */
@Configuration(proxyBeanMethods = false)
class RequestGuardConfiguration {

    /** Right after Spring's encoding and observation filters, ahead of the form filter that would read a body. */
    @Bean
    FilterRegistrationBean<RequestGuardFilter> requestGuard(
            OptimizerProperties p,
            BearerToken controlToken,
            @Qualifier("handlerExceptionResolver") HandlerExceptionResolver problems) {
        FilterRegistrationBean<RequestGuardFilter> registration = new FilterRegistrationBean<>(new RequestGuardFilter(
                controlToken,
                new BearerToken(p.readToken()),
                p.maxRequestBytes().toBytes(),
                problems));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    @Bean
    JsonMapperBuilderCustomizer rejectDuplicateKeys() {
        return builder -> builder.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /** Replaces the host's stock error report valve (HTML) once the host has added it, before its pipeline starts. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        return factory -> factory.addContextLifecycleListeners(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())
                    && event.getLifecycle() instanceof Context context) {
                Container host = context.getParent();
                Pipeline pipeline = host.getPipeline();
                for (Valve valve : pipeline.getValves()) {
                    if (valve instanceof ErrorReportValve && !(valve instanceof ProblemErrorReportValve)) {
                        pipeline.removeValve(valve);
                    }
                }
                if (Arrays.stream(pipeline.getValves()).noneMatch(ProblemErrorReportValve.class::isInstance)) {
                    pipeline.addValve(new ProblemErrorReportValve());
                }
            }
        });
    }
}
