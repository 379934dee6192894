import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs DynamoDB Local listening on one address (the loopback interface by default) instead of every
 * interface: DynamoDB Local has no flag for the bind address, so this builds its server from the usual
 * command-line arguments, sets the host of its Jetty connector, then starts it. Telemetry is never
 * configured, so none is sent. Host: the system property {@code agentstate.host} (default 127.0.0.1).
 */
public final class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("agentstate.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    Connector[] connectors = jetty.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    for (Connector connector : connectors) {
      String bound = ((NetworkConnector) connector).getHost();
      System.out.println("agent-state: DynamoDB Local listening on " + bound + ":" + ((NetworkConnector) connector).getLocalPort());
    }
  }
}
