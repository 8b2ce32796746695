package dev.gspo.rollout.web;

import org.apache.catalina.Container;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Replaces Tomcat's HTML error report valve (which Spring Boot installs on the host) with
 * {@link ProblemErrorReportValve}, so that even a request Tomcat rejects before the application sees it is answered
 * with {@code application/problem+json}.
 */
@Configuration(proxyBeanMethods = false)
class TomcatProblemConfiguration {
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReportValve() {
        return new ProblemValveCustomizer();
    }

    /** Runs after Boot's own customizer, whose context customizer adds the HTML valve. */
    private static final class ProblemValveCustomizer
            implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {
        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(context -> {
                Container host = context.getParent();
                for (Valve v : host.getPipeline().getValves()) {
                    if (v instanceof ErrorReportValve) {
                        host.getPipeline().removeValve(v);
                    }
                }
                host.getPipeline().addValve(new ProblemErrorReportValve());
                if (host instanceof StandardHost h) {
                    // the host adds an error report valve of this class at start unless one is there already
                    h.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
