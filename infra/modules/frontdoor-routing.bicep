// Front Door routing and WAF in front of the regional apps.
// Priority routing: every request goes to the lowest-priority healthy origin (UK South first).
// The health probe calls the anonymous liveness route; when the primary fails its probes,
// Front Door moves traffic to the next origin by itself, and moves it back once healthy.

@description('Front Door profile name (created by frontdoor-profile).')
param profileName string

@description('Endpoint name; the public host is <name>-<hash>.azurefd.net.')
param endpointName string

@description('WAF policy name (letters and digits only).')
param wafPolicyName string

@description('Origins in priority order: objects with name, hostName and priority.')
param origins array

@description('Path of the liveness probe.')
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

@description('Largest request body accepted, in bytes (2 MB).')
param maxRequestBodyBytes int

@description('Tags for every resource.')
param tags object

resource profile 'Microsoft.Cdn/profiles@2024-02-01' existing = {
  name: profileName
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' = {
  parent: profile
  name: endpointName
  location: 'global'
  tags: tags
  properties: {
    enabledState: 'Enabled'
  }
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

resource route 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: 'gateway'
  dependsOn: [
    regionOrigins
  ]
  properties: {
    originGroup: {
      id: originGroup.id
    }
    supportedProtocols: [
      'Https'
    ]
    patternsToMatch: [
      '/*'
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
          name: 'BlockBodyOver2MB'
          priority: 10
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
