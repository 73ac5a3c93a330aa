// Front Door routing and WAF in front of the regional apps.
// Priority routing: every request goes to the lowest-priority healthy origin (UK South first).
// Only the api and .auth prefixes are routed (the app, and operators' sign-in): the Functions
// host's own paths (admin, runtime webhooks) are not reachable through Front Door. The health probe calls the anonymous readiness route,
// which answers 503 while the region's breaker store or Durable backend is down, so Front Door
// moves traffic to the next origin, and back once it is ready; deploy.sh also takes a region
// out of rotation explicitly while it publishes to it.
// A request with the x-askeve-region header goes to that region's origin only (a rule set): a
// region forwards a nurse's acknowledgement to the region whose task hub runs the escalation.

@description('Front Door profile name (created by frontdoor-profile).')
param profileName string

@description('Endpoint name (created by frontdoor-profile).')
param endpointName string

@description('WAF policy name (letters and digits only).')
param wafPolicyName string

@description('Origins in priority order: objects with region, name, hostName and priority.')
param origins array

@description('Path of the readiness probe.')
param healthProbePath string

@description('Seconds between probes from each Front Door edge.')
@minValue(5)
@maxValue(255)
param healthProbeIntervalSeconds int

@description('WAF mode. Prevention blocks; Detection only logs.')
@allowed([
  'Prevention'
  'Detection'
])
param wafMode string

@description('Requests per minute allowed from one client address before the WAF blocks it.')
@minValue(10)
param rateLimitPerMinute int

@description('Egress addresses (CIDR) of the chatbot backend: the WAF allows them without rate limiting, so a crisis message is never refused at the edge.')
@minLength(1)
param botBackendAddresses array

@description('Largest request body accepted, in bytes (2 MB).')
param maxRequestBodyBytes int

@description('Largest acknowledgement form accepted on /api/ack, in bytes (the app refuses the same).')
param maxAckBodyBytes int = 4096

@description('Tags for every resource.')
param tags object

resource profile 'Microsoft.Cdn/profiles@2024-02-01' existing = {
  name: profileName
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' existing = {
  parent: profile
  name: endpointName
}

resource originGroup 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = {
  parent: profile
  name: 'gateway-regions'
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      additionalLatencyInMilliseconds: 0
    }
    healthProbeSettings: {
      probePath: healthProbePath
      probeRequestType: 'GET'
      probeProtocol: 'Https'
      probeIntervalInSeconds: healthProbeIntervalSeconds
    }
    sessionAffinityState: 'Disabled'
  }
}

resource regionOrigins 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = [for origin in origins: {
  parent: originGroup
  name: origin.name
  properties: {
    hostName: origin.hostName
    originHostHeader: origin.hostName
    httpPort: 80
    httpsPort: 443
    priority: origin.priority
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}]

// One origin group per region with only that region's origin, for the region-pinning rules.
resource pinnedGroups 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = [for origin in origins: {
  parent: profile
  name: 'pinned-${origin.region}'
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      additionalLatencyInMilliseconds: 0
    }
    healthProbeSettings: {
      probePath: healthProbePath
      probeRequestType: 'GET'
      probeProtocol: 'Https'
      probeIntervalInSeconds: healthProbeIntervalSeconds
    }
    sessionAffinityState: 'Disabled'
  }
}]

resource pinnedOrigins 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = [for (origin, i) in origins: {
  parent: pinnedGroups[i]
  name: origin.name
  properties: {
    hostName: origin.hostName
    originHostHeader: origin.hostName
    httpPort: 80
    httpsPort: 443
    priority: 1
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}]

// HSTS on every response from the edge, whatever the origin sent (the app sends it too).
// A rule set of its own, listed first on the route, so the region-pinning rules' Stop cannot
// skip it.
resource securityHeaders 'Microsoft.Cdn/profiles/ruleSets@2024-02-01' = {
  parent: profile
  name: 'securityheaders'
}

resource hstsRule 'Microsoft.Cdn/profiles/ruleSets/rules@2024-02-01' = {
  parent: securityHeaders
  name: 'hsts'
  properties: {
    order: 1
    matchProcessingBehavior: 'Continue'
    conditions: []
    actions: [
      {
        name: 'ModifyResponseHeader'
        parameters: {
          typeName: 'DeliveryRuleHeaderActionParameters'
          headerAction: 'Overwrite'
          headerName: 'Strict-Transport-Security'
          value: 'max-age=31536000; includeSubDomains'
        }
      }
    ]
  }
}

resource pinRules 'Microsoft.Cdn/profiles/ruleSets@2024-02-01' = {
  parent: profile
  name: 'pinregion'
}

resource pinRule 'Microsoft.Cdn/profiles/ruleSets/rules@2024-02-01' = [for (origin, i) in origins: {
  parent: pinRules
  name: 'pin${origin.region}'
  dependsOn: [
    pinnedOrigins
  ]
  properties: {
    order: i + 1
    matchProcessingBehavior: 'Stop'
    conditions: [
      {
        name: 'RequestHeader'
        parameters: {
          typeName: 'DeliveryRuleRequestHeaderConditionParameters'
          selector: 'x-askeve-region'
          operator: 'Equal'
          negateCondition: false
          matchValues: [
            origin.region
          ]
          transforms: [
            'Lowercase'
          ]
        }
      }
    ]
    actions: [
      {
        name: 'RouteConfigurationOverride'
        parameters: {
          typeName: 'DeliveryRuleRouteConfigurationOverrideActionParameters'
          originGroupOverride: {
            originGroup: {
              id: pinnedGroups[i].id
            }
            forwardingProtocol: 'HttpsOnly'
          }
        }
      }
    ]
  }
}]

resource route 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: 'gateway'
  dependsOn: [
    regionOrigins
    pinRule
    hstsRule
  ]
  properties: {
    originGroup: {
      id: originGroup.id
    }
    ruleSets: [
      {
        id: securityHeaders.id
      }
      {
        id: pinRules.id
      }
    ]
    supportedProtocols: [
      'Https'
    ]
    // The api prefix is the app; the .auth prefix is App Service authentication: sign-in,
    // its callback (registered on this Front Door host) and sign-out, where forwardProxy
    // Standard sends the browser. Nothing else is routed (source in infra/README.md).
    patternsToMatch: [
      '/api/*'
      '/.auth/*'
    ]
    forwardingProtocol: 'HttpsOnly'
    httpsRedirect: 'Disabled'
    linkToDefaultDomain: 'Enabled'
    enabledState: 'Enabled'
  }
}

resource waf 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies@2024-02-01' = {
  name: wafPolicyName
  location: 'global'
  tags: tags
  sku: {
    name: 'Premium_AzureFrontDoor'
  }
  properties: {
    policySettings: {
      enabledState: 'Enabled'
      mode: wafMode
      requestBodyCheck: 'Enabled'
      customBlockResponseStatusCode: 403
    }
    customRules: {
      rules: [
        {
          // First of all, the bot included: a body over 2 MB is refused before any Allow.
          name: 'BlockBodyOver2MB'
          priority: 1
          enabledState: 'Enabled'
          ruleType: 'MatchRule'
          action: 'Block'
          matchConditions: [
            {
              matchVariable: 'RequestHeader'
              selector: 'Content-Length'
              operator: 'GreaterThan'
              negateCondition: false
              matchValue: [
                string(maxRequestBodyBytes)
              ]
              transforms: []
            }
          ]
        }
        {
          // The acknowledgement form is a token and nothing else: 4 KB is plenty. The app
          // refuses the same from Content-Length before it reads the body.
          name: 'BlockAckBodyOver4KB'
          priority: 2
          enabledState: 'Enabled'
          ruleType: 'MatchRule'
          action: 'Block'
          matchConditions: [
            {
              matchVariable: 'RequestUri'
              operator: 'BeginsWith'
              negateCondition: false
              matchValue: [
                '/api/ack'
              ]
              transforms: [
                'Lowercase'
              ]
            }
            {
              matchVariable: 'RequestHeader'
              selector: 'Content-Length'
              operator: 'GreaterThan'
              negateCondition: false
              matchValue: [
                string(maxAckBodyBytes)
              ]
              transforms: []
            }
          ]
        }
        {
          // The chatbot backend is one client sending every conversation, crisis messages
          // included: it is allowed before the rate limit, the managed rule sets and Bot
          // Manager, so the edge never throttles it or blocks a message for its wording. An
          // Allow ends evaluation, so the size rules come before it. Matched on the
          // socket address, which a client cannot forge: the bot needs a dedicated egress
          // address (NAT gateway or static IP), never a shared App Service outbound address,
          // or every app on that address shares the bot's exemption.
          name: 'AllowBotBackend'
          priority: 5
          enabledState: 'Enabled'
          ruleType: 'MatchRule'
          action: 'Allow'
          matchConditions: [
            {
              matchVariable: 'SocketAddr'
              operator: 'IPMatch'
              negateCondition: false
              matchValue: botBackendAddresses
              transforms: []
            }
          ]
        }
        {
          // A body sent in chunks has no Content-Length, so the size rules above cannot see
          // it. Refused on /api/* for everyone but the bot (after its Allow: a bot library
          // that chunks must never have crisis messages refused at the edge). HTTP/2 bodies
          // carry no Transfer-Encoding, so this does not catch an HTTP/2 body without a
          // Content-Length: the Functions host's own request size limit is the bound there.
          name: 'BlockChunkedApiBody'
          priority: 6
          enabledState: 'Enabled'
          ruleType: 'MatchRule'
          action: 'Block'
          matchConditions: [
            {
              matchVariable: 'RequestUri'
              operator: 'BeginsWith'
              negateCondition: false
              matchValue: [
                '/api/'
              ]
              transforms: [
                'Lowercase'
              ]
            }
            {
              matchVariable: 'RequestHeader'
              selector: 'Transfer-Encoding'
              operator: 'Contains'
              negateCondition: false
              matchValue: [
                'chunked'
              ]
              transforms: [
                'Lowercase'
              ]
            }
          ]
        }
        {
          // Function keys travel in the x-functions-key header only: a key in a chat URL
          // would be written to access logs. Matched in the query string of the chat routes.
          // After the bot's Allow: a bot that still sent ?code= must never have its crisis
          // messages blocked; everyone else is.
          name: 'BlockKeyInChatUrl'
          priority: 7
          enabledState: 'Enabled'
          ruleType: 'MatchRule'
          action: 'Block'
          matchConditions: [
            {
              matchVariable: 'RequestUri'
              operator: 'Contains'
              negateCondition: false
              matchValue: [
                '/api/chat'
                '/api/v1/chat/'
              ]
              transforms: [
                'Lowercase'
              ]
            }
            {
              matchVariable: 'QueryString'
              operator: 'RegEx'
              negateCondition: false
              matchValue: [
                '(^|&)code='
              ]
              transforms: [
                'Lowercase'
                'UrlDecode'
              ]
            }
          ]
        }
        {
          name: 'RateLimitPerClient'
          priority: 20
          enabledState: 'Enabled'
          ruleType: 'RateLimitRule'
          rateLimitDurationInMinutes: 1
          rateLimitThreshold: rateLimitPerMinute
          action: 'Block'
          groupBy: [
            {
              variableName: 'SocketAddr'
            }
          ]
          matchConditions: [
            {
              matchVariable: 'RequestUri'
              operator: 'BeginsWith'
              negateCondition: false
              matchValue: [
                '/api/'
              ]
              transforms: [
                'Lowercase'
              ]
            }
          ]
        }
      ]
    }
    managedRules: {
      managedRuleSets: [
        {
          ruleSetType: 'Microsoft_DefaultRuleSet'
          ruleSetVersion: '2.1'
          ruleSetAction: 'Block'
          // The chat text itself is not inspected: a false positive on a message from someone in
          // crisis would block their call for help, and the app never interprets that text as
          // markup or a query. Headers, paths and every other field stay inspected.
          exclusions: [
            {
              matchVariable: 'RequestBodyJsonArgNames'
              selectorMatchOperator: 'StartsWith'
              selector: 'messages'
            }
          ]
        }
        {
          ruleSetType: 'Microsoft_BotManagerRuleSet'
          ruleSetVersion: '1.1'
          ruleSetAction: 'Block'
        }
      ]
    }
  }
}

resource wafAssociation 'Microsoft.Cdn/profiles/securityPolicies@2024-02-01' = {
  parent: profile
  name: 'gateway-waf'
  properties: {
    parameters: {
      type: 'WebApplicationFirewall'
      wafPolicy: {
        id: waf.id
      }
      associations: [
        {
          domains: [
            {
              id: endpoint.id
            }
          ]
          patternsToMatch: [
            '/*'
          ]
        }
      ]
    }
  }
}

output endpointHostName string = endpoint.properties.hostName
output originGroupName string = originGroup.name
