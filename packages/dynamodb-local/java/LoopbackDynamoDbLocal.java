import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs DynamoDB Local listening on one address (the loopback interface by default) instead of every
 * interface: DynamoDB Local has no flag for the bind address, so this builds its server from the usual
 * command-line arguments, sets the host of its Jetty connector, then starts it. Telemetry is never
 * configured, so none is sent. Host: the system property {@code agentstate.host} (default 127.0.0.1).
 *
 * <p>When the environment names an access key id and region ({@code AGENT_STATE_DDB_ACCESS_KEY_ID},
 * {@code AGENT_STATE_DDB_REGION}; the environment, not the command line, which any local user can read),
 * every request whose SigV4 credential scope names another key or region is answered 400
 * UnrecognizedClientException before DynamoDB Local sees it: without {@code -sharedDb} DynamoDB Local would
 * otherwise create one database file per key and region it is sent. (The signature itself is not verified:
 * DynamoDB Local never does, and the key id is as private as the data directory that holds it.)
 */
public final class LoopbackDynamoDbLocal {
  private static final byte[] REFUSAL =
      ("{\"__type\":\"com.amazonaws.dynamodb.v20120810#UnrecognizedClientException\","
              + "\"message\":\"The security token included in the request is invalid: this DynamoDB Local "
              + "serves one access key id and region only.\"}")
          .getBytes(StandardCharsets.UTF_8);

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
    String accessKeyId = System.getenv("AGENT_STATE_DDB_ACCESS_KEY_ID");
    String region = System.getenv("AGENT_STATE_DDB_REGION");
    if (accessKeyId != null && region != null) guard(jetty, accessKeyId + "/" + region);
    proxy.start();
    for (Connector connector : connectors) {
      String bound = ((NetworkConnector) connector).getHost();
      System.out.println("agent-state: DynamoDB Local listening on " + bound + ":" + ((NetworkConnector) connector).getLocalPort());
    }
  }

  /** Puts a handler in front of DynamoDB Local's that refuses requests not scoped to {@code keyAndRegion}. */
  private static void guard(Server jetty, String keyAndRegion) {
    byte[] expected = keyAndRegion.getBytes(StandardCharsets.UTF_8);
    Handler inner = jetty.getHandler();
    jetty.setHandler((Handler) null);
    Handler.Wrapper guard =
        new Handler.Wrapper() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String scope = credentialKeyAndRegion(request.getHeaders().get(HttpHeader.AUTHORIZATION));
            if (scope != null && MessageDigest.isEqual(expected, scope.getBytes(StandardCharsets.UTF_8))) {
              return super.handle(request, response, callback);
            }
            response.setStatus(400);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-amz-json-1.0");
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            response.write(true, java.nio.ByteBuffer.wrap(REFUSAL), callback);
            return true;
          }
        };
    guard.setHandler(inner);
    jetty.setHandler(guard);
  }

  /**
   * "KEY/REGION" from {@code AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...}, or null
   * when the header is missing or not of that shape.
   */
  static String credentialKeyAndRegion(String authorization) {
    if (authorization == null || !authorization.startsWith("AWS4-HMAC-SHA256 ")) return null;
    int start = authorization.indexOf("Credential=");
    if (start < 0) return null;
    start += "Credential=".length();
    int end = authorization.indexOf(',', start);
    String credential = (end < 0 ? authorization.substring(start) : authorization.substring(start, end)).trim();
    String[] parts = credential.split("/", -1);
    if (parts.length != 5) return null;
    return parts[0] + "/" + parts[2];
  }
}
