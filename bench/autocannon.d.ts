/** The part of autocannon's API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }
    interface Options {
      url: string;
      connections?: number;
      /** Requests per second over all connections. */
      overallRate?: number;
      duration?: number;
      /** Requests in all, instead of a duration. */
      amount?: number;
      /** Seconds without an answer after which a request counts as timed out. */
      timeout?: number;
      requests?: {
        setupRequest?: (request: Request) => Request;
        /** Called with each answer's status and body. */
        onResponse?: (status: number, body: string) => void;
      }[];
    }
    interface Histogram {
      average: number;
      p50: number;
      p99: number;
      max: number;
    }
    interface Result {
      requests: Histogram & { total: number; sent: number };
      latency: Histogram;
      duration: number;
      non2xx: number;
      errors: number;
      timeouts: number;
      statusCodeStats?: Record<string, { count: number }>;
    }
  }
  /** A round: awaited for its result; its `response` event gives each answer's status and latency (ms). */
  interface Instance extends Promise<autocannon.Result> {
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  }
  function autocannon(options: autocannon.Options): Instance;
  export = autocannon;
}
